-- Each unit combination of the facts with the geo_key of its unit at every level, so that
-- aggregate_to_geo_levels sums to every level on integers.
with

geo_units as (
    select
        geo_key,
        geo_level,
        geo_code
    from {{ ref('int_facts__geo_units') }}
),

final as (
    select
        units.unit_key,
        land.geo_key as land_geo_key,
        fylker.geo_key as fylke_geo_key,
        kommuner.geo_key as kommune_geo_key,
        bydeler.geo_key as bydel_geo_key,
        zones.geo_key as levekarssone_geo_key
    from {{ ref('int_facts__units') }} as units
    inner join geo_units as land on land.geo_level = 'land'
    inner join geo_units as fylker on fylker.geo_level = 'fylke' and units.fylke_code = fylker.geo_code
    inner join geo_units as kommuner on kommuner.geo_level = 'kommune' and units.kommune_code = kommuner.geo_code
    left join geo_units as bydeler on bydeler.geo_level = 'bydel' and units.bydel_code = bydeler.geo_code
    left join geo_units as zones
        on zones.geo_level = 'levekarssone' and units.levekarssone_code = zones.geo_code
)

select * from final
