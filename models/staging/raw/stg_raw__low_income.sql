with

source as (
    select
        year,
        grunnkrets,
        sex,
        age,
        persons_in_households,
        persons_low_income
    from {{ source('raw', 'low_income') }}
),

renamed as (
    select
        try_cast(year as integer) as year,
        cast(grunnkrets as varchar) as grunnkrets_code,
        cast(sex as varchar) as sex,
        try_cast(age as integer) as age,
        try_cast(persons_in_households as bigint) as persons_in_households,
        try_cast(persons_low_income as bigint) as persons_low_income
    from source
)

select * from renamed
