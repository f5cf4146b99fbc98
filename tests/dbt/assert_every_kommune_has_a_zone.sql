-- Every kommune of the current geography has at least one levekårssone (the smallest have exactly one).
select kommuner.geo_code as kommune_code
from {{ ref('int_geography__units') }} as kommuner
where
    kommuner.geo_level = 'kommune'
    and not exists (
        select 1
        from {{ ref('int_geography__levekarssoner') }} as zones
        where zones.kommune_code = kommuner.geo_code
    )
