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
)

select * from rates
