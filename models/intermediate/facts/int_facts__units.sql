-- The distinct unit combinations (fylke, kommune, bydel, levekårssone) that raw grunnkretser map to, each with
-- an integer key: the fact table stores the key, since writing and scanning millions of text codes costs
-- several times more than integers (int_facts__by_zone was seven times slower to write with codes).
with

combinations as (
    select distinct
        fylke_code,
        kommune_code,
        bydel_code,
        levekarssone_code
    from {{ ref('int_geography__crosswalk') }}
),

final as (
    select
        cast(
            row_number() over (order by fylke_code, kommune_code, bydel_code nulls first, levekarssone_code nulls first)
            as integer
        ) as unit_key,
        fylke_code,
        kommune_code,
        bydel_code,
        levekarssone_code
    from combinations
)

select * from final
