-- Every count, share and rate indicator for every unit, sex and age group: numerator and denominator summed
-- over each rolling period (rate of sums, never a mean of yearly values; explicit zeros where there are no
-- facts), then value and 95 % interval by the catalogue's method: share: 100 * numerator / denominator with
-- Wilson's score interval; rate: multiplier * numerator / denominator with exact Poisson limits below var
-- poisson_exact_below events and Byar's above; count: none. spv_flag 1 when a year of the period has no data,
-- 2 when the denominator is 0. Sums and values are one model: a table of the sums alone cost a 2-million-row
-- write and its key test on the build's longest chain.
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
        method,
        multiplier,
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

sums as (
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
),

exact_limits as (
    select
        observed,
        lower_limit,
        upper_limit
    from {{ ref('poisson_exact_limits') }}
),

computed as (
    select
        sums.indicator_id,
        sums.age_group,
        sums.period_start,
        sums.period_end,
        sums.geo_level,
        sums.geo_code,
        sums.sex,
        sums.numerator,
        sums.denominator,
        case
            when definitions.method = 'count' then sums.numerator
            when sums.denominator > 0 then definitions.multiplier * sums.numerator / sums.denominator
        end as value,
        case
            when definitions.method = 'share' and sums.denominator > 0
                then definitions.multiplier * {{ wilson_lower('sums.numerator', 'sums.denominator') }}
            when definitions.method = 'rate' and sums.denominator > 0
                then definitions.multiplier * {{ poisson_lower('sums.numerator', 'exact_limits') }} / sums.denominator
        end as ci_lower,
        case
            when definitions.method = 'share' and sums.denominator > 0
                then definitions.multiplier * {{ wilson_upper('sums.numerator', 'sums.denominator') }}
            when definitions.method = 'rate' and sums.denominator > 0
                then definitions.multiplier * {{ poisson_upper('sums.numerator', 'exact_limits') }} / sums.denominator
        end as ci_upper,
        case
            when sums.years_in_data < definitions.period_years then 1
            when definitions.method <> 'count' and sums.denominator = 0 then 2
            else 0
        end as spv_flag
    from sums
    inner join definitions
        on
            sums.indicator_id = definitions.indicator_id
            and sums.age_group = definitions.age_group
    left join exact_limits on sums.numerator = exact_limits.observed
)

select * from computed
