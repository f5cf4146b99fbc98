{{ config(materialized="view") }}
-- Every indicator in one shape, before small-cell protection and comparison. Bydeler and zones get only the
-- catalogue's small_area_sexes: a sex breakdown of small cohorts would be mostly suppressed. A view: a union
-- and a filter cost less to read twice (recoding flags, primary suppression) than to write 2 million rows.
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

small_area_sexes as (
    select
        indicator_id,
        string_split(small_area_sexes, ' ') as sexes
    from {{ ref('indicator_catalogue') }}
),

unioned as (
    select * from rates
    union all
    select * from standardised_mortality
    union all
    select * from life_expectancy
),

published_breakdowns as (
    select unioned.*
    from unioned
    inner join small_area_sexes on unioned.indicator_id = small_area_sexes.indicator_id
    where
        unioned.geo_level not in ('bydel', 'levekarssone')
        or list_contains(small_area_sexes.sexes, unioned.sex)
)

select * from published_breakdowns
