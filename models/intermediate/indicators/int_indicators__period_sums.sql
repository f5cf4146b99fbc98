-- Numerator and denominator of every indicator summed over its rolling periods (rate of sums, never a mean
-- of yearly values), for every unit, sex and age group. Periods are every window of the indicator's length
-- inside the years its data cover; years_in_data says how many of the window's years have national data.
with

definitions as (
    select
        indicator_id,
        age_group,
        numerator_source,
        numerator_measure,
        numerator_subgroup,
        denominator_source,
        denominator_measure,
        denominator_subgroup,
        denominator_age_group,
        sexes,
        period_years
    from {{ ref('int_indicators__definitions') }}
),

counts as (
    select
        source,
        measure,
        subgroup,
        age_group,
        year,
        geo_level,
        geo_code,
        sex,
        count_value
    from {{ ref('int_counts__by_geography') }}
),

national_years as (
    select distinct
        source,
        measure,
        subgroup,
        age_group,
        year
    from counts
    where geo_level = 'land'
),

indicator_years as (
    select
        definitions.indicator_id,
        definitions.age_group,
        numerator_years.year
    from definitions
    inner join national_years as numerator_years
        on
            definitions.numerator_source = numerator_years.source
            and definitions.numerator_measure = numerator_years.measure
            and definitions.numerator_subgroup = numerator_years.subgroup
            and definitions.age_group = numerator_years.age_group
    left join national_years as denominator_years
        on
            definitions.denominator_source = denominator_years.source
            and definitions.denominator_measure = denominator_years.measure
            and definitions.denominator_subgroup = denominator_years.subgroup
            and definitions.denominator_age_group = denominator_years.age_group
            and numerator_years.year = denominator_years.year
    where definitions.denominator_source is null or denominator_years.year is not null
),

year_spans as (
    select
        definitions.indicator_id,
        definitions.age_group,
        definitions.period_years,
        min(indicator_years.year) as first_year,
        max(indicator_years.year) as last_year
    from definitions
    inner join indicator_years
        on
            definitions.indicator_id = indicator_years.indicator_id
            and definitions.age_group = indicator_years.age_group
    group by all
),

periods as (
    select
        year_spans.indicator_id,
        year_spans.age_group,
        cast(starts.period_start as integer) as period_start,
        cast(starts.period_start + year_spans.period_years - 1 as integer) as period_end
    from year_spans,
        unnest(generate_series(year_spans.first_year, year_spans.last_year - year_spans.period_years + 1))
            as starts (period_start)
),

periods_with_coverage as (
    select
        periods.indicator_id,
        periods.age_group,
        periods.period_start,
        periods.period_end,
        count(indicator_years.year) as years_in_data
    from periods
    left join indicator_years
        on
            periods.indicator_id = indicator_years.indicator_id
            and periods.age_group = indicator_years.age_group
            and indicator_years.year between periods.period_start and periods.period_end
    group by all
),

units as (
    select
        geo_level,
        geo_code
    from {{ ref('int_geography__units') }}
),

cells as (
    select
        definitions.indicator_id,
        definitions.age_group,
        periods_with_coverage.period_start,
        periods_with_coverage.period_end,
        periods_with_coverage.years_in_data,
        units.geo_level,
        units.geo_code,
        sexes.sex,
        definitions.numerator_source,
        definitions.numerator_measure,
        definitions.numerator_subgroup,
        definitions.denominator_source,
        definitions.denominator_measure,
        definitions.denominator_subgroup,
        definitions.denominator_age_group
    from definitions
    inner join periods_with_coverage
        on
            definitions.indicator_id = periods_with_coverage.indicator_id
            and definitions.age_group = periods_with_coverage.age_group
    cross join units
    cross join unnest(string_split(definitions.sexes, ' ')) as sexes (sex)
),

numerators as (
    select
        cells.indicator_id,
        cells.age_group,
        cells.period_start,
        cells.geo_level,
        cells.geo_code,
        cells.sex,
        sum(counts.count_value) as numerator
    from cells
    inner join counts
        on
            cells.numerator_source = counts.source
            and cells.numerator_measure = counts.measure
            and cells.numerator_subgroup = counts.subgroup
            and cells.age_group = counts.age_group
            and cells.geo_level = counts.geo_level
            and cells.geo_code = counts.geo_code
            and cells.sex = counts.sex
            and counts.year between cells.period_start and cells.period_end
    group by all
),

denominators as (
    select
        cells.indicator_id,
        cells.age_group,
        cells.period_start,
        cells.geo_level,
        cells.geo_code,
        cells.sex,
        sum(counts.count_value) as denominator
    from cells
    inner join counts
        on
            cells.denominator_source = counts.source
            and cells.denominator_measure = counts.measure
            and cells.denominator_subgroup = counts.subgroup
            and cells.denominator_age_group = counts.age_group
            and cells.geo_level = counts.geo_level
            and cells.geo_code = counts.geo_code
            and cells.sex = counts.sex
            and counts.year between cells.period_start and cells.period_end
    group by all
),

final as (
    select
        cells.indicator_id,
        cells.age_group,
        cells.period_start,
        cells.period_end,
        cells.years_in_data,
        cells.geo_level,
        cells.geo_code,
        cells.sex,
        cast(coalesce(numerators.numerator, 0) as double) as numerator,
        case
            when cells.denominator_source is not null then cast(coalesce(denominators.denominator, 0) as double)
        end as denominator
    from cells
    left join numerators
        on
            cells.indicator_id = numerators.indicator_id
            and cells.age_group = numerators.age_group
            and cells.period_start = numerators.period_start
            and cells.geo_level = numerators.geo_level
            and cells.geo_code = numerators.geo_code
            and cells.sex = numerators.sex
    left join denominators
        on
            cells.indicator_id = denominators.indicator_id
            and cells.age_group = denominators.age_group
            and cells.period_start = denominators.period_start
            and cells.geo_level = denominators.geo_level
            and cells.geo_code = denominators.geo_code
            and cells.sex = denominators.sex
)

select * from final
