-- How each unit compares with the country and with its parent (zone -> bydel or kommune, bydel -> kommune,
-- kommune -> fylke, fylke -> land): similar when the comparator lies inside the unit's interval, otherwise
-- lower or higher; better or worse where the catalogue gives a polarity. Only shown values are compared.
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
        suppression_reason
    from {{ ref('int_suppression__series') }}
),

units as (
    select
        geo_level,
        geo_code,
        case geo_level
            when 'levekarssone' then coalesce(bydel_code, kommune_code)
            when 'bydel' then kommune_code
            when 'kommune' then fylke_code
            when 'fylke' then '0'
        end as parent_geo_code,
        case geo_level
            when 'levekarssone' then case when bydel_code is null then 'kommune' else 'bydel' end
            when 'bydel' then 'kommune'
            when 'kommune' then 'fylke'
            when 'fylke' then 'land'
        end as parent_geo_level
    from {{ ref('int_geography__units') }}
),

polarity as (
    select
        indicator_id,
        polarity
    from {{ ref('indicator_catalogue') }}
),

shown as (
    select
        indicator_id,
        age_group,
        period_start,
        geo_level,
        geo_code,
        sex,
        value
    from indicator_rows
    where spv_flag = 0
),

with_comparators as (
    select
        indicator_rows.*,
        units.parent_geo_level,
        units.parent_geo_code,
        polarity.polarity,
        land.value as land_value,
        parent.value as parent_value
    from indicator_rows
    inner join units
        on
            indicator_rows.geo_level = units.geo_level
            and indicator_rows.geo_code = units.geo_code
    inner join polarity on indicator_rows.indicator_id = polarity.indicator_id
    left join shown as land
        on
            indicator_rows.indicator_id = land.indicator_id
            and indicator_rows.age_group = land.age_group
            and indicator_rows.period_start = land.period_start
            and indicator_rows.sex = land.sex
            and land.geo_level = 'land'
    left join shown as parent
        on
            indicator_rows.indicator_id = parent.indicator_id
            and indicator_rows.age_group = parent.age_group
            and indicator_rows.period_start = parent.period_start
            and indicator_rows.sex = parent.sex
            and units.parent_geo_level = parent.geo_level
            and units.parent_geo_code = parent.geo_code
),

final as (
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
        suppression_reason,
        parent_geo_level,
        parent_geo_code,
        case when geo_level <> 'land' then {{ compare_with('land_value') }} end as compared_with_land,
        {{ compare_with('parent_value') }} as compared_with_parent
    from with_comparators
)

select * from final
