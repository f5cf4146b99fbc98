-- Deaths and person-years by life-table band summed over each distinct period of the mortality indicators
-- (standardised mortality and life expectancy share them: one pass instead of one per indicator), for every
-- unit and sex. Only periods with data for a unit, sex and band have a row.
with

mortality_periods as (
    select distinct
        periods.period_start,
        periods.period_end
    from {{ ref('int_indicators__periods') }} as periods
    inner join {{ ref('indicator_catalogue') }} as catalogue on periods.indicator_id = catalogue.indicator_id
    where catalogue.method in ('dsr', 'isr', 'life_table')
),

-- Each year of each period, so that the yearly sums join the periods on equality (a range join is slower).
period_years as (
    select
        mortality_periods.period_start,
        mortality_periods.period_end,
        cast(years.year as integer) as year
    from mortality_periods,
        unnest(generate_series(mortality_periods.period_start, mortality_periods.period_end)) as years (year)
),

yearly as (
    select
        year,
        geo_level,
        geo_code,
        sex,
        life_table_band,
        person_years,
        deaths
    from {{ ref('int_mortality__by_age_band') }}
),

period_sums as (
    select
        period_years.period_start,
        period_years.period_end,
        yearly.geo_level,
        yearly.geo_code,
        yearly.sex,
        yearly.life_table_band,
        sum(yearly.person_years) as person_years,
        cast(sum(yearly.deaths) as bigint) as deaths
    from period_years
    inner join yearly on period_years.year = yearly.year
    group by all
)

select * from period_sums
