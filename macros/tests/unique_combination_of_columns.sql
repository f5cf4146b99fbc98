{#- Primary-key test for keys of several columns; failing rows show the duplicated key and how often it occurs. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set key = combination_of_columns | join(', ') %}
    select
        {{ key }},
        count(*) as occurrences
    from {{ model }}
    group by {{ key }}
    having count(*) > 1
{% endtest %}
