{#- Keeps the build inside a small machine: limits come from the environment, spilling goes to a temp folder. -#}
{% macro configure_duckdb() %}
    {%- if target.type == 'duckdb' -%}
        set memory_limit = '{{ env_var("LEVEKAR_MEMORY_LIMIT", "8GB") }}';
        set threads = {{ env_var("LEVEKAR_THREADS", "2") | int }};
        set preserve_insertion_order = false;
        set temp_directory = '{{ env_var("LEVEKAR_TEMP_DIR", "build/duckdb_tmp") }}';
    {%- endif -%}
{% endmacro %}
