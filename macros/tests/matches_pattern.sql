{#- Whole-value regular expression match; NULLs fail too, so a cast that failed in staging is caught here. -#}
{% test matches_pattern(model, column_name, pattern) %}
    select *
    from {{ model }}
    where {{ column_name }} is null
        or not regexp_full_match({{ column_name }}, '{{ pattern }}')
{% endtest %}
