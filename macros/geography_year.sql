{#- The seed vintage in force for the current geography: the newest year that is not after var geography_year. -#}
{% macro current_vintage_filter(relation, year_column='year') %}
    {{ year_column }} = (
        select max({{ year_column }})
        from {{ relation }}
        where {{ year_column }} <= {{ var('geography_year') }}
    )
{% endmacro %}

{% macro levekarssone_scope() %}
    {%- set scope = var('levekarssone_scope') -%}
    {%- if scope not in ['all', 'approved'] -%}
        {{ exceptions.raise_compiler_error("var levekarssone_scope must be 'all' or 'approved', got '" ~ scope ~ "'") }}
    {%- endif -%}
    {{ return(scope) }}
{% endmacro %}
