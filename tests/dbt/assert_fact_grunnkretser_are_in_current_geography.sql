-- The crosswalk maps every (year, grunnkrets code) of the raw facts to exactly one grunnkrets of the current
-- geography (so to exactly one kommune, and at most one zone: see int_geography__grunnkretser's tests) or, for
-- a split across kommuner, to the unknown code of one current fylke.
{%- set sources = ['population', 'deaths', 'low_income', 'education', 'benefits', 'crowded_housing',
                   'upper_secondary', 'national_tests'] %}
with

raw_codes as (
    {%- for source in sources %}
    select distinct
        year,
        grunnkrets_code
    from {{ ref('stg_raw__' ~ source) }}
    {%- if not loop.last %}
    union
    {%- endif %}
    {%- endfor %}
),

mapped as (
    select
        raw_codes.year,
        raw_codes.grunnkrets_code,
        count(geography.grunnkrets_code)
        + count(fylker.fylke_code) filter (where crosswalk.recode_rule = 'unknown_in_fylke') as current_units
    from raw_codes
    left join {{ ref('int_geography__crosswalk') }} as crosswalk
        on
            raw_codes.year = crosswalk.year
            and raw_codes.grunnkrets_code = crosswalk.raw_grunnkrets_code
    left join {{ ref('int_geography__grunnkretser') }} as geography
        on crosswalk.grunnkrets_code = geography.grunnkrets_code
    left join {{ ref('int_geography__units') }} as fylker
        on fylker.geo_level = 'fylke' and crosswalk.fylke_code = fylker.geo_code
    group by raw_codes.year, raw_codes.grunnkrets_code
)

select
    year,
    grunnkrets_code,
    current_units
from mapped
where current_units <> 1
