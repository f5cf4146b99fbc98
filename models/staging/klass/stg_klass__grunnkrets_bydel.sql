with

source as (
    select
        year,
        grunnkrets_code,
        bydel_code
    from {{ ref('klass_grunnkrets_bydel') }}
),

renamed as (
    select
        cast(year as integer) as year,
        cast(grunnkrets_code as varchar) as grunnkrets_code,
        cast(bydel_code as varchar) as bydel_code
    from source
)

select * from renamed
