-- Conservation through the mortality base: the country's deaths of both sexes in int_mortality__by_age_band
-- equal the raw deaths file's, year by year.
with

land_totals as (
    select
        by_age_band.year,
        sum(by_age_band.deaths) as land_total
    from {{ ref('int_mortality__by_age_band') }} as by_age_band
    inner join {{ ref('int_facts__geo_units') }} as geo_units on by_age_band.geo_key = geo_units.geo_key
    where geo_units.geo_level = 'land' and by_age_band.sex = '0'
    group by by_age_band.year
),

raw_totals as (
    select
        year,
        sum(deaths) as raw_total
    from {{ ref('stg_raw__deaths') }}
    group by year
)

select
    coalesce(land_totals.year, raw_totals.year) as year,
    land_totals.land_total,
    raw_totals.raw_total
from land_totals
full outer join raw_totals on land_totals.year = raw_totals.year
where coalesce(land_totals.land_total, 0) <> coalesce(raw_totals.raw_total, 0)
