with

source as (
    select
        year,
        grunnkrets,
        sex,
        age,
        benefit,
        persons
    from {{ source('raw', 'benefits') }}
),

renamed as (
    select
        try_cast(year as integer) as year,
        cast(grunnkrets as varchar) as grunnkrets_code,
        cast(sex as varchar) as sex,
        try_cast(age as integer) as age,
        cast(benefit as varchar) as benefit,
        try_cast(persons as bigint) as persons
    from source
)

select * from renamed
