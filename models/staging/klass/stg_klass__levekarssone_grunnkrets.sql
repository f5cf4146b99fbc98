with

source as (
    select
        year,
        levekarssone_code,
        levekarssone_name,
        grunnkrets_code
    from {{ ref('klass_levekarssone_grunnkrets') }}
),

renamed as (
    select
        cast(year as integer) as table_year,
        cast(levekarssone_code as varchar) as levekarssone_code,
        cast(levekarssone_name as varchar) as levekarssone_name,
        cast(grunnkrets_code as varchar) as grunnkrets_code,
        substr(levekarssone_code, 1, 4) as kommune_code,
        substr(levekarssone_code, 7, 4) = '9999' as is_unknown_zone
    from source
)

select * from renamed
