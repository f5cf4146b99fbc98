-- Every count of every source the indicators use, summed from grunnkrets to the finest mapped unit and to
-- elementary age bands, then stacked long as (series, year, unit, sex, band): the input of the
-- catalogue-driven indicator engine. Series and units are integer keys (int_facts__series, int_facts__units):
-- written with its text codes the table took seven times longer to write. Each source is read once and summed
-- wide (all its measures in one pass) before it is stacked, which keeps the scan of the raw facts to one pass
-- per file.
-- Sources without sex (crowded_housing) carry sex '0'; sources without age carry band_lo NULL. Population and
-- deaths are also cut at the life-table band limits, so that mortality reads them here instead of scanning the
-- raw files again. Sums are cast back to bigint: DuckDB sums a bigint to a 128-bit hugeint, several times slower
-- to store, scan and sum again downstream.
{%- set sources = [
    {'name': 'population', 'measures': ['persons'], 'subgroup': "''", 'sex': 'facts.sex', 'has_age': true,
     'life_table_bands': true},
    {'name': 'deaths', 'measures': ['deaths'], 'subgroup': "''", 'sex': 'facts.sex', 'has_age': true,
     'life_table_bands': true},
    {'name': 'low_income', 'measures': ['persons_in_households', 'persons_low_income'], 'subgroup': "''",
     'sex': 'facts.sex', 'has_age': true},
    {'name': 'education', 'measures': ['persons_known_education', 'persons_basic_only'], 'subgroup': "''",
     'sex': 'facts.sex', 'has_age': true},
    {'name': 'benefits', 'measures': ['persons'], 'subgroup': 'facts.benefit', 'sex': 'facts.sex', 'has_age': true},
    {'name': 'crowded_housing', 'measures': ['persons_in_households', 'persons_crowded'], 'subgroup': "''",
     'sex': "'0'", 'has_age': false},
    {'name': 'upper_secondary', 'measures': ['pupils_started', 'pupils_completed'], 'subgroup': "''",
     'sex': 'facts.sex', 'has_age': false},
    {'name': 'national_tests', 'measures': ['pupils_tested', 'pupils_lowest_level'],
     'subgroup': "'grade' || facts.grade || '_' || facts.subject", 'sex': 'facts.sex', 'has_age': false},
] %}

with

terms as (
    select
        age_lo,
        age_hi
    from {{ ref('int_counts__terms') }}
),

life_table_bands as (
    select min(age) as age_lo
    from {{ ref('int_mortality__age_bands_by_age') }}
    group by life_table_band
),

-- The catalogue's age groups cut the age axis into elementary bands (0-15, 16-17, 18-29, ...); every age
-- group is a sum of whole bands, so the facts are summed once however many groups overlap.
boundaries as (
    select
        terms.age_lo as boundary,
        false as is_life_table_only
    from terms
    union
    select
        terms.age_hi + 1 as boundary,
        false as is_life_table_only
    from terms
    union
    select
        life_table_bands.age_lo as boundary,
        true as is_life_table_only
    from life_table_bands
),

-- An equality join on single years is many times faster than a range join of millions of rows.
{%- for kind in ['catalogue', 'life_table'] %}

{{ kind }}_band_by_age as (
    select
        cast(ages.range as integer) as age,
        max(cut.boundary) as band_lo
    from range(0, {{ var('max_age') }} + 1) as ages
    inner join boundaries as cut
        on
            ages.range >= cut.boundary
            {%- if kind == 'catalogue' %}
            and not cut.is_life_table_only
            {%- endif %}
    group by ages.range
),
{%- endfor %}

-- Raw codes are those valid in their year: the crosswalk maps each (year, raw code) to today's units.
grunnkretser as (
    select
        crosswalk.year,
        crosswalk.raw_grunnkrets_code as grunnkrets_code,
        units.unit_key
    from {{ ref('int_geography__crosswalk') }} as crosswalk
    inner join {{ ref('int_facts__units') }} as units
        on
            crosswalk.fylke_code = units.fylke_code
            and crosswalk.kommune_code = units.kommune_code
            and crosswalk.bydel_code is not distinct from units.bydel_code
            and crosswalk.levekarssone_code is not distinct from units.levekarssone_code
),

series as (
    select
        series_key,
        source,
        measure,
        subgroup
    from {{ ref('int_facts__series') }}
),

{%- for source in sources %}

{{ source.name }}_by_zone as materialized (
    select
        facts.year,
        grunnkretser.unit_key,
        {{ source.sex }} as sex,
        {{ 'band_by_age.band_lo' if source.has_age else 'cast(null as integer)' }} as band_lo,
        {%- for measure in source.measures %}
        cast(sum(facts.{{ measure }}) as bigint) as {{ measure }},
        {%- endfor %}
        {{ source.subgroup }} as subgroup
    from {{ ref('stg_raw__' ~ source.name) }} as facts
    inner join grunnkretser
        on facts.year = grunnkretser.year and facts.grunnkrets_code = grunnkretser.grunnkrets_code
    {%- if source.has_age %}
    inner join {{ 'life_table' if source.life_table_bands else 'catalogue' }}_band_by_age as band_by_age
        on facts.age = band_by_age.age
    {%- endif %}
    group by all
),
{%- endfor %}

stacked as (
    {%- for source in sources %}
    {%- set outer_loop = loop %}
    {%- for measure in source.measures %}
    select
        series.series_key,
        by_zone.year,
        by_zone.unit_key,
        by_zone.sex,
        by_zone.band_lo,
        by_zone.{{ measure }} as count_value
    from {{ source.name }}_by_zone as by_zone
    inner join series
        on
            series.source = '{{ source.name }}'
            and series.measure = '{{ measure }}'
            and by_zone.subgroup = series.subgroup
    {%- if not (outer_loop.last and loop.last) %}
    union all
    {%- endif %}
    {%- endfor %}
    {%- endfor %}
)

select * from stacked
