-- Every shown share lies between 0 and 100 and inside its own interval, and every interval is ordered.
select
    indicator_id,
    period,
    geo_level,
    geo_code,
    sex,
    age_group,
    value,
    ci_lower,
    ci_upper
from {{ ref('indicator_values') }}
where
    spv_flag = 0
    and indicator_id in (
        select share_indicators.indicator_id from {{ ref('indicators') }} as share_indicators
        where share_indicators.method = 'share'
    )
    and (
        value < 0 or value > 100
        or ci_lower < 0 or ci_upper > 100
        or value < ci_lower - 1e-9 or value > ci_upper + 1e-9
    )
