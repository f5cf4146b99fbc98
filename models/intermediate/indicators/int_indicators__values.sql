-- Every count, share and rate indicator for every unit, sex and age group: numerator and denominator summed
-- over each rolling period (rate of sums, never a mean of yearly values; explicit zeros where there are no
-- facts), then value and 95 % interval by the catalogue's method: share: 100 * numerator / denominator with
-- Wilson's score interval; rate: multiplier * numerator / denominator with exact Poisson limits below var
-- poisson_exact_below events and Byar's above; count: none. spv_flag 1 when a year of the period has no data,
-- 2 when the denominator is 0. Sums and values are one model: a table of the sums alone cost a 2-million-row
-- write and its key test on the build's longest chain. The sums group and join on integer keys (period, term,
-- unit); the codes are joined last.
with

definitions as (
    select
        indicator_id,
        age_group,
        denominator_source,
        sexes,
        method,
        multiplier,
        period_years
    from {{ ref('int_indicators__definitions') }}
),

counts as (
    select
        term_key,
        year,
        geo_key,
        sex,
        count_value
    from {{ ref('int_counts__by_geography') }}
),

-- Each period of each indicator and age group, keyed by an integer, with the terms of its numerator and
-- denominator.
periods as (
    select
        cast(
            row_number() over (
                order by
                    periods_with_coverage.indicator_id,
                    periods_with_coverage.age_group,
                    periods_with_coverage.period_start
            ) as integer
        ) as period_key,
        periods_with_coverage.indicator_id,
        periods_with_coverage.age_group,
        periods_with_coverage.period_start,
        periods_with_coverage.period_end,
        periods_with_coverage.years_in_data,
        periods_with_coverage.numerator_term_key,
        periods_with_coverage.denominator_term_key,
        definitions.denominator_source,
        definitions.sexes,
        definitions.method,
        definitions.multiplier,
        definitions.period_years
    from {{ ref('int_indicators__periods') }} as periods_with_coverage
    inner join definitions
        on
            periods_with_coverage.indicator_id = definitions.indicator_id
            and periods_with_coverage.age_group = definitions.age_group
),

-- Every unit of the current geography.
units as (
    select
        geo_key,
        geo_level,
        geo_code
    from {{ ref('int_facts__geo_units') }}
    where is_in_geography
),

cells as (
    select
        periods.period_key,
        units.geo_key,
        sexes.sex,
        periods.denominator_source
    from periods
    cross join units
    cross join unnest(string_split(periods.sexes, ' ')) as sexes (sex)
),

-- Each year of each period, so that counts join periods on equality.
period_years as (
    select
        periods.period_key,
        periods.numerator_term_key,
        periods.denominator_term_key,
        cast(years.year as integer) as year
    from periods,
        unnest(generate_series(periods.period_start, periods.period_end)) as years (year)
),

-- The terms of numerator and denominator stacked, so that one pass over the counts sums both.
period_terms as (
    select
        period_key,
        numerator_term_key as term_key,
        true as is_numerator,
        year
    from period_years
    union all
    select
        period_key,
        denominator_term_key as term_key,
        false as is_numerator,
        year
    from period_years
    where denominator_term_key is not null
),

term_sums as (
    select
        period_terms.period_key,
        counts.geo_key,
        counts.sex,
        sum(counts.count_value) filter (where period_terms.is_numerator) as numerator,
        sum(counts.count_value) filter (where not period_terms.is_numerator) as denominator
    from period_terms
    inner join counts
        on
            period_terms.term_key = counts.term_key
            and period_terms.year = counts.year
    group by all
),

sums as (
    select
        cells.period_key,
        cells.geo_key,
        cells.sex,
        cast(coalesce(term_sums.numerator, 0) as double) as numerator,
        case
            when cells.denominator_source is not null then cast(coalesce(term_sums.denominator, 0) as double)
        end as denominator
    from cells
    left join term_sums
        on
            cells.period_key = term_sums.period_key
            and cells.geo_key = term_sums.geo_key
            and cells.sex = term_sums.sex
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
        periods.indicator_id,
        periods.age_group,
        periods.period_start,
        periods.period_end,
        units.geo_level,
        units.geo_code,
        sums.sex,
        sums.numerator,
        sums.denominator,
        case
            when periods.method = 'count' then sums.numerator
            when sums.denominator > 0 then periods.multiplier * sums.numerator / sums.denominator
        end as value,
        case
            when periods.method = 'share' and sums.denominator > 0
                then periods.multiplier * {{ wilson_lower('sums.numerator', 'sums.denominator') }}
            when periods.method = 'rate' and sums.denominator > 0
                then periods.multiplier * {{ poisson_lower('sums.numerator', 'exact_limits') }} / sums.denominator
        end as ci_lower,
        case
            when periods.method = 'share' and sums.denominator > 0
                then periods.multiplier * {{ wilson_upper('sums.numerator', 'sums.denominator') }}
            when periods.method = 'rate' and sums.denominator > 0
                then periods.multiplier * {{ poisson_upper('sums.numerator', 'exact_limits') }} / sums.denominator
        end as ci_upper,
        case
            when periods.years_in_data < periods.period_years then 1
            when periods.method <> 'count' and sums.denominator = 0 then 2
            else 0
        end as spv_flag
    from sums
    inner join periods on sums.period_key = periods.period_key
    inner join units on sums.geo_key = units.geo_key
    left join exact_limits on sums.numerator = exact_limits.observed
)

select * from computed
