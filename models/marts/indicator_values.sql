-- The published indicator table: published units only, nothing shown where spv_flag > 0, and each shown value
-- compared with the country and with its parent (zone -> bydel or kommune, bydel -> kommune, kommune -> fylke,
-- fylke -> land): similar when the comparator lies inside the unit's interval, otherwise lower or higher;
-- better or worse where the catalogue gives a polarity. Only shown values are compared, so a comparison never
-- reveals a hidden value. The comparison is made here rather than in an intermediate table: writing all 2
-- million cells once more cost more than the comparison itself.
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
        spv_flag
    from {{ ref('int_suppression__series') }}
),

units as (
    select
        geo_level,
        geo_code,
        is_published,
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

-- The shown values a unit is compared with. A zone is never the country or a parent, and zones are most of
-- the cells: leaving them out makes the lookup a fraction of the table.
shown_comparators as (
    select
        indicator_id,
        age_group,
        period_start,
        geo_level,
        geo_code,
        sex,
        value
    from indicator_rows
    where spv_flag = 0 and geo_level <> 'levekarssone'
),

with_comparators as (
    select
        indicator_rows.indicator_id,
        indicator_rows.age_group,
        indicator_rows.period_start,
        indicator_rows.period_end,
        indicator_rows.geo_level,
        indicator_rows.geo_code,
        indicator_rows.sex,
        indicator_rows.numerator,
        indicator_rows.denominator,
        indicator_rows.value,
        indicator_rows.ci_lower,
        indicator_rows.ci_upper,
        indicator_rows.spv_flag,
        polarity.polarity,
        land.value as land_value,
        parent.value as parent_value
    from indicator_rows
    inner join units
        on
            indicator_rows.geo_level = units.geo_level
            and indicator_rows.geo_code = units.geo_code
    inner join polarity on indicator_rows.indicator_id = polarity.indicator_id
    left join shown_comparators as land
        on
            indicator_rows.indicator_id = land.indicator_id
            and indicator_rows.age_group = land.age_group
            and indicator_rows.period_start = land.period_start
            and indicator_rows.sex = land.sex
            and land.geo_level = 'land'
    left join shown_comparators as parent
        on
            indicator_rows.indicator_id = parent.indicator_id
            and indicator_rows.age_group = parent.age_group
            and indicator_rows.period_start = parent.period_start
            and indicator_rows.sex = parent.sex
            and units.parent_geo_level = parent.geo_level
            and units.parent_geo_code = parent.geo_code
    where units.is_published
),

final as (
    select
        indicator_id,
        period_start || '_' || period_end as period,
        period_start,
        period_end,
        geo_level,
        geo_code,
        sex,
        age_group,
        case when spv_flag = 0 then numerator end as numerator,
        case when spv_flag = 0 then denominator end as denominator,
        case when spv_flag = 0 then value end as value,
        case when spv_flag = 0 then ci_lower end as ci_lower,
        case when spv_flag = 0 then ci_upper end as ci_upper,
        spv_flag,
        case when geo_level <> 'land' then {{ compare_with('land_value') }} end as compared_with_land,
        {{ compare_with('parent_value') }} as compared_with_parent
    from with_comparators
)

select * from final
