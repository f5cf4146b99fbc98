{#- A code must be the leading part of another code in the same row (a zone's kommune is its grunnkrets's kommune). -#}
{% test equal_to_prefix_of(model, column_name, other_column) %}
    select *
    from {{ model }}
    where {{ column_name }} <> substr({{ other_column }}, 1, length({{ column_name }}))
{% endtest %}
