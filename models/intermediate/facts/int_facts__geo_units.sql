-- Every unit that facts are summed to: land and each fylke, kommune, bydel and levekårssone that a raw
-- grunnkrets maps to (unknown codes included), keyed by an integer geo_key, which the tables summed to every
-- level store instead of the level and code: a table of millions of rows is written and scanned several times
-- faster with integers than with text.
with

combinations as (
    select
        fylke_code,
        kommune_code,
        bydel_code,
        levekarssone_code
    from {{ ref('int_facts__units') }}
),

units as (
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

final as (
    select
        cast(row_number() over (order by geo_level, geo_code) as integer) as geo_key,
        geo_level,
        geo_code
    from units
)

select * from final
