-- Numerator and denominator of every count, share and rate indicator summed over its rolling periods (rate
-- of sums, never a mean of yearly values), for every unit, sex and age group, with explicit zeros.
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
        sexes
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

periods_with_coverage as (
    select
        indicator_id,
        age_group,
        period_start,
        period_end,
        years_in_data
    from {{ ref('int_indicators__periods') }}
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
        definitions.denominator_source
    from definitions
    inner join periods_with_coverage
        on
            definitions.indicator_id = periods_with_coverage.indicator_id
            and definitions.age_group = periods_with_coverage.age_group
    cross join units
    cross join unnest(string_split(definitions.sexes, ' ')) as sexes (sex)
),

-- Each year of each period, so that counts join periods on equality.
period_years as (
    select
        periods_with_coverage.indicator_id,
        periods_with_coverage.age_group,
        periods_with_coverage.period_start,
        cast(years.year as integer) as year
    from periods_with_coverage,
        unnest(generate_series(periods_with_coverage.period_start, periods_with_coverage.period_end)) as years (year)
),

numerators as (
    select
        definitions.indicator_id,
        definitions.age_group,
        period_years.period_start,
        counts.geo_level,
        counts.geo_code,
        counts.sex,
        sum(counts.count_value) as numerator
    from definitions
    inner join period_years
        on
            definitions.indicator_id = period_years.indicator_id
            and definitions.age_group = period_years.age_group
    inner join counts
        on
            definitions.numerator_source = counts.source
            and definitions.numerator_measure = counts.measure
            and definitions.numerator_subgroup = counts.subgroup
            and definitions.age_group = counts.age_group
            and period_years.year = counts.year
    group by all
),

denominators as (
    select
        definitions.indicator_id,
        definitions.age_group,
        period_years.period_start,
        counts.geo_level,
        counts.geo_code,
        counts.sex,
        sum(counts.count_value) as denominator
    from definitions
    inner join period_years
        on
            definitions.indicator_id = period_years.indicator_id
            and definitions.age_group = period_years.age_group
    inner join counts
        on
            definitions.denominator_source = counts.source
            and definitions.denominator_measure = counts.measure
            and definitions.denominator_subgroup = counts.subgroup
            and definitions.denominator_age_group = counts.age_group
            and period_years.year = counts.year
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
