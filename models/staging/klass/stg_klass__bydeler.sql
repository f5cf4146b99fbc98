with

source as (
    select
        year,
        bydel_code,
        bydel_name
    from {{ ref('klass_bydeler') }}
),

renamed as (
    select
        cast(year as integer) as year,
        cast(bydel_code as varchar) as bydel_code,
        cast(bydel_name as varchar) as bydel_name,
        substr(bydel_code, 1, 4) as kommune_code,
        substr(bydel_code, 5, 2) = '99' as is_unknown
    from source
)

select * from renamed
