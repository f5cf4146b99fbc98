with

source as (
    select
        year,
        grunnkrets,
        sex,
        age,
        persons_known_education,
        persons_basic_only
    from {{ source('raw', 'education') }}
),

renamed as (
    select
        try_cast(year as integer) as year,
        cast(grunnkrets as varchar) as grunnkrets_code,
        cast(sex as varchar) as sex,
        try_cast(age as integer) as age,
        try_cast(persons_known_education as bigint) as persons_known_education,
        try_cast(persons_basic_only as bigint) as persons_basic_only
    from source
)

select * from renamed
