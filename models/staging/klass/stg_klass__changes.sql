with

source as (
    select
        classification,
        old_code,
        old_name,
        new_code,
        new_name,
        change_date
    from {{ ref('klass_changes') }}
),

renamed as (
    select
        cast(classification as varchar) as classification,
        nullif(cast(old_code as varchar), '') as old_code,
        cast(old_name as varchar) as old_name,
        nullif(cast(new_code as varchar), '') as new_code,
        cast(new_name as varchar) as new_name,
        cast(change_date as date) as change_date
    from source
)

select * from renamed
