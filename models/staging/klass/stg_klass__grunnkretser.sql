with

source as (
    select
        year,
        grunnkrets_code,
        grunnkrets_name
    from {{ ref('klass_grunnkretser') }}
),

renamed as (
    select
        cast(year as integer) as year,
        cast(grunnkrets_code as varchar) as grunnkrets_code,
        cast(grunnkrets_name as varchar) as grunnkrets_name,
        substr(grunnkrets_code, 5, 4) = '9999' as is_unknown
    from source
)

select * from renamed
