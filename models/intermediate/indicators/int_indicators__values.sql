-- Value and 95 % interval of every count, share and rate indicator, by the catalogue's method:
-- share: 100 * numerator / denominator with Wilson's score interval; rate: multiplier * numerator /
-- denominator with exact Poisson limits below var poisson_exact_below events and Byar's above; count: none.
-- spv_flag 1 when a year of the period has no data, 2 when the denominator is 0.
with

sums as (
    select
        indicator_id,
        age_group,
        period_start,
        period_end,
        years_in_data,
        geo_level,
        geo_code,
        sex,
        numerator,
        denominator
    from {{ ref('int_indicators__period_sums') }}
),

definitions as (
    select
        indicator_id,
        age_group,
        method,
        multiplier,
        period_years
    from {{ ref('int_indicators__definitions') }}
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
