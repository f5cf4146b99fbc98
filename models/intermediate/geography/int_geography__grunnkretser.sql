-- Every grunnkrets of the current geography with the units it counts in. Rules for messy real data:
-- unknown grunnkrets (KKKK9999): kommune and fylke only; zone table says unknown zone (KKKK999999) or
-- has no row for the grunnkrets: no zone (the kommune's unknown remainder); bydel: the zone code decides
-- where it names one, so that zones nest in bydeler, otherwise KLASS's bydel correspondence.
with

grunnkretser as (
    select
        grunnkrets_code,
        grunnkrets_name,
        is_unknown
    from {{ ref('stg_klass__grunnkretser') }}
    where {{ current_vintage_filter(ref('stg_klass__grunnkretser')) }}
),

zone_tables as (
    select
        table_year,
        kommune_code,
        grunnkrets_code,
        levekarssone_code,
        is_unknown_zone
    from {{ ref('stg_klass__levekarssone_grunnkrets') }}
    where table_year <= {{ var('geography_year') }}
),

division_year_by_kommune as (
    select
        kommune_code,
        max(table_year) as table_year
    from zone_tables
    group by kommune_code
),

current_zone_table as (
    select
        zone_tables.grunnkrets_code,
        zone_tables.levekarssone_code,
        zone_tables.is_unknown_zone
    from zone_tables
    inner join division_year_by_kommune
        on
            zone_tables.kommune_code = division_year_by_kommune.kommune_code
            and zone_tables.table_year = division_year_by_kommune.table_year
),

klass_bydeler as (
    select
        grunnkrets_code,
        bydel_code
    from {{ ref('stg_klass__grunnkrets_bydel') }}
    where
        {{ current_vintage_filter(ref('stg_klass__grunnkrets_bydel')) }}
        and substr(bydel_code, 5, 2) <> '99'
),

mapped as (
    select
        grunnkretser.grunnkrets_code,
        grunnkretser.grunnkrets_name,
        grunnkretser.is_unknown as is_unknown_grunnkrets,
        substr(grunnkretser.grunnkrets_code, 1, 4) as kommune_code,
        substr(grunnkretser.grunnkrets_code, 1, 2) as fylke_code,
        current_zone_table.levekarssone_code as zone_table_code,
        klass_bydeler.bydel_code as klass_bydel_code,
        case
            when grunnkretser.is_unknown then 'unknown_grunnkrets'
            when current_zone_table.grunnkrets_code is null then 'not_in_zone_table'
            when current_zone_table.is_unknown_zone then 'unknown_zone_in_table'
            else 'zone_table'
        end as zone_rule,
        case
            when not grunnkretser.is_unknown and not current_zone_table.is_unknown_zone
                then current_zone_table.levekarssone_code
        end as levekarssone_code
    from grunnkretser
    left join current_zone_table
        on grunnkretser.grunnkrets_code = current_zone_table.grunnkrets_code
    left join klass_bydeler
        on grunnkretser.grunnkrets_code = klass_bydeler.grunnkrets_code
),

with_bydel as (
    select
        grunnkrets_code,
        grunnkrets_name,
        is_unknown_grunnkrets,
        fylke_code,
        kommune_code,
        case
            when is_unknown_grunnkrets then null
            when substr(levekarssone_code, 5, 2) <> '00' then substr(levekarssone_code, 1, 6)
            else klass_bydel_code
        end as bydel_code,
        levekarssone_code,
        zone_rule,
        zone_table_code,
        klass_bydel_code
    from mapped
),

final as (
    select
        grunnkrets_code,
        grunnkrets_name,
        is_unknown_grunnkrets,
        fylke_code,
        kommune_code,
        bydel_code,
        levekarssone_code,
        zone_rule,
        case
            when bydel_code is null then null
            when coalesce(klass_bydel_code, '') <> bydel_code then 'zone_code_overrides_klass'
            else 'klass'
        end as bydel_rule,
        zone_table_code,
        klass_bydel_code
    from with_bydel
)

select * from final
