{{ config(materialized='view') }}
-- Every count of every source in one long shape (source, measure, subgroup), so that an indicator is a
-- catalogue row naming its numerator and denominator, not a new SQL file. A view, read once by the engine.
-- Sources without sex (crowded_housing) carry sex '0'; sources without age carry a NULL age.
{%- set counts = [
    ('population', 'persons', "''", 'sex', 'age'),
    ('deaths', 'deaths', "''", 'sex', 'age'),
    ('low_income', 'persons_in_households', "''", 'sex', 'age'),
    ('low_income', 'persons_low_income', "''", 'sex', 'age'),
    ('education', 'persons_known_education', "''", 'sex', 'age'),
    ('education', 'persons_basic_only', "''", 'sex', 'age'),
    ('benefits', 'persons', 'benefit', 'sex', 'age'),
    ('crowded_housing', 'persons_in_households', "''", "'0'", 'cast(null as integer)'),
    ('crowded_housing', 'persons_crowded', "''", "'0'", 'cast(null as integer)'),
    ('upper_secondary', 'pupils_started', "''", 'sex', 'cast(null as integer)'),
    ('upper_secondary', 'pupils_completed', "''", 'sex', 'cast(null as integer)'),
    ('national_tests', 'pupils_tested', "'grade' || grade || '_' || subject", 'sex', 'cast(null as integer)'),
    ('national_tests', 'pupils_lowest_level', "'grade' || grade || '_' || subject", 'sex', 'cast(null as integer)'),
] %}

with

unioned as (
    {%- for source_name, measure, subgroup, sex, age in counts %}
        select
            '{{ source_name }}' as source,
            '{{ measure }}' as measure,
            {{ subgroup }} as subgroup,
            year,
            grunnkrets_code,
            {{ sex }},
            {{ age }},
            {{ measure }} as count_value
        from {{ ref('stg_raw__' ~ source_name) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select
    source,
    measure,
    subgroup,
    year,
    grunnkrets_code,
    sex,
    age,
    count_value
from unioned
