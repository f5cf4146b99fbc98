{#-
    The one place where grunnkrets figures become figures for land, fylke, kommune, bydel and levekårssone.
    Every level is summed from the same grunnkrets rows, so zones plus the unknown remainder add up to their
    kommune, kommuner to fylke and fylker to land. Rows without a bydel or zone (unknown grunnkrets, unknown
    zone) count at the levels above only.
    relation: has the group_columns, the sum_columns and the unit of each level: fylke_code, kommune_code,
    bydel_code, levekarssone_code (output geo_level, geo_code); or, with geo_keys=true, land_geo_key,
    fylke_geo_key, kommune_geo_key, bydel_geo_key, levekarssone_geo_key (output geo_key: integer keys of
    int_counts__geo_units, for large tables, which are written and scanned faster with integers than text).
    sum_columns: {column: type of its sums}. DuckDB sums a bigint to a 128-bit hugeint, which is several times
    slower to store, scan and sum again than a bigint: the sums are cast back.
-#}
{% macro aggregate_to_geo_levels(relation, group_columns, sum_columns, geo_keys=false) %}
    {%- set levels = ['land', 'fylke', 'kommune', 'bydel', 'levekarssone'] -%}
    {%- for geo_level in levels %}
    {%- if geo_keys %}
        {%- set unit_column = geo_level ~ '_geo_key' %}
    {%- else %}
        {%- set unit_column = "'0'" if geo_level == 'land' else geo_level ~ '_code' %}
    {%- endif %}
    select
        {%- if geo_keys %}
        {{ unit_column }} as geo_key,
        {%- else %}
        '{{ geo_level }}' as geo_level,
        {{ unit_column }} as geo_code,
        {%- endif %}
        {%- for column in group_columns %}
        {{ column }},
        {%- endfor %}
        {%- for column, column_type in sum_columns.items() %}
        cast(sum({{ column }}) as {{ column_type }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    {%- if geo_level in ['bydel', 'levekarssone'] %}
    where {{ unit_column }} is not null
    {%- endif %}
    group by {{ unit_column }}{% for column in group_columns %}, {{ column }}{% endfor %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{% endmacro %}
