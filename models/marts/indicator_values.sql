-- The published indicator table: published units only, and nothing shown where spv_flag > 0.
with

indicator_rows as (
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
        spv_flag,
        compared_with_land,
        compared_with_parent
    from {{ ref('int_indicators__compared') }}
),

published_units as (
    select
        geo_level,
        geo_code
    from {{ ref('int_geography__units') }}
    where is_published
),

final as (
    select
        indicator_rows.indicator_id,
        indicator_rows.period_start || '_' || indicator_rows.period_end as period,
        indicator_rows.period_start,
        indicator_rows.period_end,
        indicator_rows.geo_level,
        indicator_rows.geo_code,
        indicator_rows.sex,
        indicator_rows.age_group,
        case when indicator_rows.spv_flag = 0 then indicator_rows.numerator end as numerator,
        case when indicator_rows.spv_flag = 0 then indicator_rows.denominator end as denominator,
        case when indicator_rows.spv_flag = 0 then indicator_rows.value end as value,
        case when indicator_rows.spv_flag = 0 then indicator_rows.ci_lower end as ci_lower,
        case when indicator_rows.spv_flag = 0 then indicator_rows.ci_upper end as ci_upper,
        indicator_rows.spv_flag,
        indicator_rows.compared_with_land,
        indicator_rows.compared_with_parent
    from indicator_rows
    inner join published_units
        on
            indicator_rows.geo_level = published_units.geo_level
            and indicator_rows.geo_code = published_units.geo_code
)

select * from final
