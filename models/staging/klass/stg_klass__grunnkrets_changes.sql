with

source as (
    select
        old_code,
        new_code,
        change_year,
        change_kind,
        derivation
    from {{ ref('klass_grunnkrets_changes') }}
),

renamed as (
    select
        cast(old_code as varchar) as old_code,
        cast(new_code as varchar) as new_code,
        cast(change_year as integer) as change_year,
        cast(change_kind as varchar) as change_kind,
        cast(derivation as varchar) as derivation
    from source
)

select * from renamed
