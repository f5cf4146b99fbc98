-- Every published unit with its name and parents, for filters and drill-down in BI tools.
with

units as (
    select
        geo_level,
        geo_code,
        geo_name,
        fylke_code,
        kommune_code,
        bydel_code
    from {{ ref('int_geography__units') }}
    where is_published
),

names as (
    select
        geo_level,
        geo_code,
        geo_name
    from {{ ref('int_geography__units') }}
),

final as (
    select
        units.geo_level,
        units.geo_code,
        units.geo_name,
        case units.geo_level
            when 'land' then 0
            when 'fylke' then 1
            when 'kommune' then 2
            when 'bydel' then 3
            when 'levekarssone' then 4
        end as level_order,
        units.fylke_code,
        fylker.geo_name as fylke_name,
        units.kommune_code,
        kommuner.geo_name as kommune_name,
        units.bydel_code,
        bydeler.geo_name as bydel_name,
        {{ var('geography_year') }} as geography_year
    from units
    left join names as fylker on fylker.geo_level = 'fylke' and units.fylke_code = fylker.geo_code
    left join names as kommuner on kommuner.geo_level = 'kommune' and units.kommune_code = kommuner.geo_code
    left join names as bydeler on bydeler.geo_level = 'bydel' and units.bydel_code = bydeler.geo_code
)

select * from final
