{#- Conservation: the sum of a measure in two relations, per shared key, must agree to a tolerance. -#}
{% test equal_totals(model, column_name, compare_model, compare_column, group_by, tolerance=0) %}
    {%- set keys = group_by | join(', ') %}
    with

    model_totals as (
        select {{ keys }}, sum({{ column_name }}) as model_total
        from {{ model }}
        group by {{ keys }}
    ),

    compare_totals as (
        select {{ keys }}, sum({{ compare_column }}) as compare_total
        from {{ compare_model }}
        group by {{ keys }}
    )

    select
        {{ keys }},
        model_totals.model_total,
        compare_totals.compare_total
    from model_totals
    full outer join compare_totals using ({{ keys }})
    where abs(coalesce(model_totals.model_total, 0) - coalesce(compare_totals.compare_total, 0)) > {{ tolerance }}
{% endtest %}
