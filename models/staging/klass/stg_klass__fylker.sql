with

source as (
    select
        year,
        fylke_code,
        fylke_name
    from {{ ref('klass_fylker') }}
),

renamed as (
    select
        cast(year as integer) as year,
        cast(fylke_code as varchar) as fylke_code,
        cast(fylke_name as varchar) as fylke_name,
        fylke_code = '99' as is_unknown
    from source
)

select * from renamed
