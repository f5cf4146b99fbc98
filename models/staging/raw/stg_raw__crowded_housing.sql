with

source as (
    select
        year,
        grunnkrets,
        persons_in_households,
        persons_crowded
    from {{ source('raw', 'crowded_housing') }}
),

renamed as (
    select
        try_cast(year as integer) as year,
        cast(grunnkrets as varchar) as grunnkrets_code,
        try_cast(persons_in_households as bigint) as persons_in_households,
        try_cast(persons_crowded as bigint) as persons_crowded
    from source
)

select * from renamed
