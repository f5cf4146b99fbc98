{{ config(severity='warn') }}
-- Residents in real grunnkretser that the zone table leaves out (or puts in an unknown zone): they count in
-- their kommune, fylke and land but in no zone. A warning, so the operator sees how many and where.
select
    population.year,
    grunnkretser.kommune_code,
    grunnkretser.grunnkrets_code,
    grunnkretser.zone_rule,
    sum(population.persons) as persons
from {{ ref('stg_raw__population') }} as population
inner join {{ ref('int_geography__crosswalk') }} as crosswalk
    on population.year = crosswalk.year and population.grunnkrets_code = crosswalk.raw_grunnkrets_code
inner join {{ ref('int_geography__grunnkretser') }} as grunnkretser
    on crosswalk.grunnkrets_code = grunnkretser.grunnkrets_code
where grunnkretser.zone_rule in ('not_in_zone_table', 'unknown_zone_in_table')
group by all
having sum(population.persons) > 0
