-- Every grunnkrets in the population facts is a grunnkrets of the current geography, so it maps to exactly
-- one kommune (and at most one zone, of that kommune: see int_geography__grunnkretser's tests).
select distinct
    population.year,
    population.grunnkrets_code
from {{ ref('stg_raw__population') }} as population
left join {{ ref('int_geography__grunnkretser') }} as grunnkretser
    on population.grunnkrets_code = grunnkretser.grunnkrets_code
where grunnkretser.grunnkrets_code is null
