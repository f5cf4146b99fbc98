with

source as (
    select
        year,
        grunnkrets,
        sex,
        age,
        persons
    from {{ source('raw', 'population') }}
),

renamed as (
    select
        try_cast(year as integer) as year,
        cast(grunnkrets as varchar) as grunnkrets_code,
        cast(sex as varchar) as sex,
        try_cast(age as integer) as age,
        try_cast(persons as bigint) as persons
    from source
)

select * from renamed
