with

source as (
    select
        year,
        kommune_code,
        kommune_name
    from {{ ref('klass_kommuner') }}
),

renamed as (
    select
        cast(year as integer) as year,
        cast(kommune_code as varchar) as kommune_code,
        cast(kommune_name as varchar) as kommune_name,
        kommune_code = '9999' as is_unknown
    from source
)

select * from renamed
