with

source as (
    select
        year,
        grunnkrets,
        sex,
        grade,
        subject,
        pupils_tested,
        pupils_lowest_level
    from {{ source('raw', 'national_tests') }}
),

renamed as (
    select
        try_cast(year as integer) as year,
        cast(grunnkrets as varchar) as grunnkrets_code,
        cast(sex as varchar) as sex,
        try_cast(grade as integer) as grade,
        cast(subject as varchar) as subject,
        try_cast(pupils_tested as bigint) as pupils_tested,
        try_cast(pupils_lowest_level as bigint) as pupils_lowest_level
    from source
)

select * from renamed
