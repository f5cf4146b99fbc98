{#-
    The one place where grunnkrets figures become figures for land, fylke, kommune, bydel and levekårssone.
    Every level is summed from the same grunnkrets rows, so zones plus the unknown remainder add up to their
    kommune, kommuner to fylke and fylker to land. Rows without a bydel or zone (unknown grunnkrets, unknown
    zone) count at the levels above only.
    relation: has fylke_code, kommune_code, bydel_code, levekarssone_code, the group_columns and sum_columns.
    sum_columns: {column: type of its sums}. DuckDB sums a bigint to a 128-bit hugeint, which is several times
    slower to store, scan and sum again than a bigint: the sums are cast back.
-#}
{% macro aggregate_to_geo_levels(relation, group_columns, sum_columns) %}
    {%- set levels = [
        ('land', "'0'"),
        ('fylke', 'fylke_code'),
        ('kommune', 'kommune_code'),
        ('bydel', 'bydel_code'),
        ('levekarssone', 'levekarssone_code'),
    ] -%}
    {%- for geo_level, geo_key in levels %}
    select
        '{{ geo_level }}' as geo_level,
        {{ geo_key }} as geo_code,
        {%- for column in group_columns %}
        {{ column }},
        {%- endfor %}
        {%- for column, column_type in sum_columns.items() %}
        cast(sum({{ column }}) as {{ column_type }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    {%- if geo_level in ['bydel', 'levekarssone'] %}
    where {{ geo_key }} is not null
    {%- endif %}
    group by {{ geo_key }}{% for column in group_columns %}, {{ column }}{% endfor %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{% endmacro %}
