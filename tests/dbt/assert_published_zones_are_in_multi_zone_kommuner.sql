-- A kommune with a single zone is not published at zone level (the zone is the kommune); unknown zones never.
select geography.geo_code
from {{ ref('geography') }} as geography
left join {{ ref('int_geography__levekarssoner') }} as zones
    on geography.geo_code = zones.levekarssone_code
where
    geography.geo_level = 'levekarssone'
    and (zones.zones_in_kommune is null or zones.zones_in_kommune < 2 or substr(geography.geo_code, 7, 4) = '9999')
