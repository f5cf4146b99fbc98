-- Conservation through the aggregation: the country's residents of all ages and both sexes in
-- int_counts__by_geography equal the raw population file's, year by year.
with

land_totals as (
    select
        counts.year,
        sum(counts.count_value) as land_total
    from {{ ref('int_counts__by_geography') }} as counts
    inner join {{ ref('int_counts__terms') }} as terms on counts.term_key = terms.term_key
    inner join {{ ref('int_facts__geo_units') }} as geo_units on counts.geo_key = geo_units.geo_key
    where
        terms.source = 'population'
        and terms.measure = 'persons'
        and terms.age_group = '0_120'
        and geo_units.geo_level = 'land'
        and counts.sex = '0'
    group by counts.year
),

raw_totals as (
    select
        year,
        sum(persons) as raw_total
    from {{ ref('stg_raw__population') }}
    group by year
)

select
    coalesce(land_totals.year, raw_totals.year) as year,
    land_totals.land_total,
    raw_totals.raw_total
from land_totals
full outer join raw_totals on land_totals.year = raw_totals.year
where coalesce(land_totals.land_total, 0) <> coalesce(raw_totals.raw_total, 0)
