-- Every indicator in one shape, before small-cell protection and comparison.
with

rates as (
    select
        indicator_id,
        age_group,
        period_start,
        period_end,
        geo_level,
        geo_code,
        sex,
        numerator,
        denominator,
        value,
        ci_lower,
        ci_upper,
        spv_flag
    from {{ ref('int_indicators__values') }}
),

standardised_mortality as (
    select
        indicator_id,
        age_group,
        period_start,
        period_end,
        geo_level,
        geo_code,
        sex,
        numerator,
        denominator,
        value,
        ci_lower,
        ci_upper,
        spv_flag
    from {{ ref('int_mortality__standardised') }}
),

life_expectancy as (
    select
        indicator_id,
        age_group,
        period_start,
        period_end,
        geo_level,
        geo_code,
        sex,
        numerator,
        denominator,
        value,
        ci_lower,
        ci_upper,
        spv_flag
    from {{ ref('int_mortality__life_expectancy') }}
),

unioned as (
    select * from rates
    union all
    select * from standardised_mortality
    union all
    select * from life_expectancy
)

select * from unioned
