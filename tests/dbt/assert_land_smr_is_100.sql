-- The country is its own standard: its standardised mortality ratio is 100 in every period and sex.
select
    indicator_id,
    period,
    sex,
    value
from {{ ref('indicator_values') }}
where
    geo_level = 'land'
    and indicator_id in (
        select smr.indicator_id from {{ ref('indicators') }} as smr
        where smr.method = 'isr'
    )
    and (spv_flag <> 0 or abs(value - 100) > 1e-9)
