-- Deaths and person-years by life-table band summed over each distinct period of the mortality indicators
-- (standardised mortality and life expectancy share them: one pass instead of one per indicator), for every
-- unit (geo_key of int_facts__geo_units) and sex. Only periods with data for a unit, sex and band have a row.
-- A period's sums are the running totals to its last year less those to the year before its first, so the
-- cost grows with the number of periods, not with periods times their length (30 years of 3-, 10- and 15-year
-- periods: half the time of summing each period's years). Each series (unit, sex, band) gets an integer id and
-- every year from the year before the first, so the totals join on equality.
with

mortality_periods as (
    select distinct
        periods.period_start,
        periods.period_end
    from {{ ref('int_indicators__periods') }} as periods
    inner join {{ ref('indicator_catalogue') }} as catalogue on periods.indicator_id = catalogue.indicator_id
    where catalogue.method in ('dsr', 'isr', 'life_table')
),

yearly as (
    select
        geo_key,
        sex,
        life_table_band,
        year,
        person_years,
        deaths
    from {{ ref('int_mortality__by_age_band') }}
),

distinct_series as (
    select distinct
        geo_key,
        sex,
        life_table_band
    from yearly
),

series as (
    select
        geo_key,
        sex,
        life_table_band,
        row_number() over () as series_id
    from distinct_series
),

year_span as (
    select
        min(year) - 1 as first_year,
        max(year) as last_year
    from yearly
),

years as (
    select cast(year_range.year as integer) as year
    from year_span,
        unnest(generate_series(year_span.first_year, year_span.last_year)) as year_range (year)
),

running_totals as materialized (
    select
        series.series_id,
        years.year,
        sum(coalesce(yearly.person_years, 0)) over to_date as person_years_to_date,
        cast(sum(coalesce(yearly.deaths, 0)) over to_date as bigint) as deaths_to_date,
        count(yearly.year) over to_date as years_with_data_to_date
    from series
    cross join years
    left join yearly
        on
            series.geo_key = yearly.geo_key
            and series.sex = yearly.sex
            and series.life_table_band = yearly.life_table_band
            and years.year = yearly.year
    window to_date as (
        partition by series.series_id
        order by years.year
        rows between unbounded preceding and current row
    )
),

period_sums as (
    select
        mortality_periods.period_start,
        mortality_periods.period_end,
        to_end.series_id,
        to_end.person_years_to_date - before_start.person_years_to_date as person_years,
        to_end.deaths_to_date - before_start.deaths_to_date as deaths
    from mortality_periods
    inner join running_totals as to_end on mortality_periods.period_end = to_end.year
    inner join running_totals as before_start
        on
            to_end.series_id = before_start.series_id
            and mortality_periods.period_start - 1 = before_start.year
    where to_end.years_with_data_to_date > before_start.years_with_data_to_date
),

final as (
    select
        period_sums.period_start,
        period_sums.period_end,
        series.geo_key,
        series.sex,
        series.life_table_band,
        period_sums.person_years,
        period_sums.deaths
    from period_sums
    inner join series on period_sums.series_id = series.series_id
)

select * from final
