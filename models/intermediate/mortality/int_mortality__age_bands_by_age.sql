-- Each single year of age with its life-table band and standardisation band, so that facts join bands on
-- equality (a range join of millions of rows against the band seed is many times slower).
with

ages as (
    select cast(range as integer) as age
    from range(0, {{ var('max_age') }} + 1)
),

bands as (
    select
        age_lo,
        age_hi,
        life_table_band,
        standard_band
    from {{ ref('mortality_age_bands') }}
),

final as (
    select
        ages.age,
        bands.life_table_band,
        bands.standard_band
    from ages
    inner join bands on ages.age between bands.age_lo and bands.age_hi
)

select * from final
