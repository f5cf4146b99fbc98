-- Every unit at every level of the current geography, with names and parents. Unknown codes
-- (fylke 99, kommune 9999, bydel KKKK99, zone KKKK999999) are never published as units.
with

fylker as (
    select
        fylke_code,
        fylke_name
    from {{ ref('stg_klass__fylker') }}
    where {{ current_vintage_filter(ref('stg_klass__fylker')) }} and not is_unknown
),

kommuner as (
    select
        kommune_code,
        kommune_name
    from {{ ref('stg_klass__kommuner') }}
    where {{ current_vintage_filter(ref('stg_klass__kommuner')) }} and not is_unknown
),

bydeler as (
    select
        bydel_code,
        bydel_name,
        kommune_code
    from {{ ref('stg_klass__bydeler') }}
    where {{ current_vintage_filter(ref('stg_klass__bydeler')) }} and not is_unknown
),

levekarssoner as (
    select
        levekarssone_code,
        levekarssone_name,
        kommune_code,
        bydel_code,
        is_published
    from {{ ref('int_geography__levekarssoner') }}
),

units as (
    select
        'land' as geo_level,
        '0' as geo_code,
        'Norge' as geo_name,
        null as fylke_code,
        null as kommune_code,
        null as bydel_code,
        true as is_published
    union all
    select
        'fylke' as geo_level,
        fylke_code as geo_code,
        fylke_name as geo_name,
        fylke_code,
        null as kommune_code,
        null as bydel_code,
        true as is_published
    from fylker
    union all
    select
        'kommune' as geo_level,
        kommune_code as geo_code,
        kommune_name as geo_name,
        substr(kommune_code, 1, 2) as fylke_code,
        kommune_code,
        null as bydel_code,
        true as is_published
    from kommuner
    union all
    select
        'bydel' as geo_level,
        bydel_code as geo_code,
        bydel_name as geo_name,
        substr(kommune_code, 1, 2) as fylke_code,
        kommune_code,
        bydel_code,
        true as is_published
    from bydeler
    union all
    select
        'levekarssone' as geo_level,
        levekarssone_code as geo_code,
        levekarssone_name as geo_name,
        substr(kommune_code, 1, 2) as fylke_code,
        kommune_code,
        bydel_code,
        is_published
    from levekarssoner
)

select * from units
