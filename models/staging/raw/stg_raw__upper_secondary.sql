with

source as (
    select
        year,
        grunnkrets,
        sex,
        pupils_started,
        pupils_completed
    from {{ source('raw', 'upper_secondary') }}
),

renamed as (
    select
        try_cast(year as integer) as year,
        cast(grunnkrets as varchar) as grunnkrets_code,
        cast(sex as varchar) as sex,
        try_cast(pupils_started as bigint) as pupils_started,
        try_cast(pupils_completed as bigint) as pupils_completed
    from source
)

select * from renamed
