-- Zones of the current division and whether they are published. A kommune with a single zone is not
-- published at zone level: the zone is the kommune.
with

zone_names as (
    select distinct
        table_year,
        levekarssone_code,
        levekarssone_name
    from {{ ref('stg_klass__levekarssone_grunnkrets') }}
),

zones as (
    select
        levekarssone_code,
        any_value(kommune_code) as kommune_code,
        any_value(bydel_code) as bydel_code,
        count(*) as grunnkretser
    from {{ ref('int_geography__grunnkretser') }}
    where levekarssone_code is not null
    group by levekarssone_code
),

current_names as (
    select
        levekarssone_code,
        arg_max(levekarssone_name, table_year) as levekarssone_name,
        max(table_year) as table_year
    from zone_names
    where table_year <= {{ var('geography_year') }}
    group by levekarssone_code
),

approvals as (
    select kommune_code
    from {{ ref('levekarssone_approvals') }}
    where approved_date <= make_date({{ var('geography_year') }}, 1, 1)
),

zones_with_counts as (
    select
        zones.levekarssone_code,
        current_names.levekarssone_name,
        zones.kommune_code,
        case when substr(zones.levekarssone_code, 5, 2) <> '00' then zones.bydel_code end as bydel_code,
        current_names.table_year,
        zones.grunnkretser,
        count(*) over (partition by zones.kommune_code) as zones_in_kommune,
        approvals.kommune_code is not null as is_approved
    from zones
    inner join current_names on zones.levekarssone_code = current_names.levekarssone_code
    left join approvals on zones.kommune_code = approvals.kommune_code
),

final as (
    select
        levekarssone_code,
        levekarssone_name,
        kommune_code,
        bydel_code,
        table_year,
        grunnkretser,
        zones_in_kommune,
        is_approved,
        zones_in_kommune > 1
        {%- if levekarssone_scope() == 'approved' %}
        and is_approved
        {%- endif %} as is_published
    from zones_with_counts
)

select * from final
