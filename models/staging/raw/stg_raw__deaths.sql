with

source as (
    select
        year,
        grunnkrets,
        sex,
        age,
        deaths
    from {{ source('raw', 'deaths') }}
),

renamed as (
    select
        try_cast(year as integer) as year,
        cast(grunnkrets as varchar) as grunnkrets_code,
        cast(sex as varchar) as sex,
        try_cast(age as integer) as age,
        try_cast(deaths as bigint) as deaths
    from source
)

select * from renamed
