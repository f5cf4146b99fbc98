{#-
    The one place where grunnkrets figures become figures for land, fylke, kommune, bydel and levekårssone.
    Every level is summed from the same grunnkrets rows, so zones plus the unknown remainder add up to their
    kommune, kommuner to fylke and fylker to land. Rows without a bydel or zone (unknown grunnkrets, unknown
    zone) count at the levels above only.
    relation: has the group_columns, the sum_columns and the unit of each level as the columns land_geo_key,
    fylke_geo_key, kommune_geo_key, bydel_geo_key and levekarssone_geo_key of int_facts__unit_geo_keys. The
    output unit is geo_key (int_facts__geo_units holds its level and code): tables of millions of rows are
    written and scanned several times faster with integer keys than with text codes.
    sum_columns: {column: type of its sums}. DuckDB sums a bigint to a 128-bit hugeint, which is several times
    slower to store, scan and sum again than a bigint: the sums are cast back.
-#}
{% macro aggregate_to_geo_levels(relation, group_columns, sum_columns) %}
    {%- for geo_level in ['land', 'fylke', 'kommune', 'bydel', 'levekarssone'] %}
    select
        {{ geo_level }}_geo_key as geo_key,
        {%- for column in group_columns %}
        {{ column }},
        {%- endfor %}
        {%- for column, column_type in sum_columns.items() %}
        cast(sum({{ column }}) as {{ column_type }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    {%- if geo_level in ['bydel', 'levekarssone'] %}
    where {{ geo_level }}_geo_key is not null
    {%- endif %}
    group by {{ geo_level }}_geo_key{% for column in group_columns %}, {{ column }}{% endfor %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{% endmacro %}
