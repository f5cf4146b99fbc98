-- Every unit that facts are summed to or indicators are computed for: land and each fylke, kommune, bydel and
-- levekårssone that a raw grunnkrets maps to (unknown codes included), and every unit of the current geography
-- (is_in_geography; one without facts gets zeros downstream). Keyed by an integer geo_key, which the tables
-- summed to every level store instead of the level and code: a table of millions of rows is written and
-- scanned several times faster with integers than with text.
with

combinations as (
    select
        fylke_code,
        kommune_code,
        bydel_code,
        levekarssone_code
    from {{ ref('int_facts__units') }}
),

fact_units as (
    select
        'land' as geo_level,
        '0' as geo_code
    union
    select
        'fylke' as geo_level,
        fylke_code as geo_code
    from combinations
    union
    select
        'kommune' as geo_level,
        kommune_code as geo_code
    from combinations
    union
    select
        'bydel' as geo_level,
        bydel_code as geo_code
    from combinations
    where bydel_code is not null
    union
    select
        'levekarssone' as geo_level,
        levekarssone_code as geo_code
    from combinations
    where levekarssone_code is not null
),

geography_units as (
    select
        geo_level,
        geo_code
    from {{ ref('int_geography__units') }}
),

all_units as (
    select
        coalesce(fact_units.geo_level, geography_units.geo_level) as geo_level,
        coalesce(fact_units.geo_code, geography_units.geo_code) as geo_code,
        geography_units.geo_code is not null as is_in_geography
    from fact_units
    full outer join geography_units
        on fact_units.geo_level = geography_units.geo_level and fact_units.geo_code = geography_units.geo_code
),

final as (
    select
        cast(row_number() over (order by geo_level, geo_code) as integer) as geo_key,
        geo_level,
        geo_code,
        is_in_geography
    from all_units
)

select * from final
