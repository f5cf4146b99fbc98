{#-
    Primary-key test for keys of several columns; failing rows show the duplicated key and how often it occurs.
    small_integer_column (optional, one of the key columns): a column of small non-negative integers such as
    single years of age. Its distinct values are then counted per group of the other columns as bits of a
    127-bit mask, so the hash table holds one entry per group (a grunnkrets, year and sex) instead of one per
    row: five times faster on the raw files of 23 million rows. Only the groups the mask flags, and rows outside
    the mask's range, are grouped on the whole key, so failing rows are the same as without the option.
-#}
{% test unique_combination_of_columns(model, combination_of_columns, small_integer_column=none) %}
    {%- set key = combination_of_columns | join(', ') %}
    {%- if small_integer_column is none %}
    select
        {{ key }},
        count(*) as occurrences
    from {{ model }}
    group by {{ key }}
    having count(*) > 1
    {%- else %}
    {%- if small_integer_column not in combination_of_columns %}
        {{ exceptions.raise_compiler_error(
            "unique_combination_of_columns: small_integer_column " ~ small_integer_column
            ~ " is not one of combination_of_columns " ~ combination_of_columns | join(', ')
        ) }}
    {%- endif %}
    {%- set group_columns = combination_of_columns | reject('equalto', small_integer_column) | list %}
    {%- set in_mask = 'coalesce(' ~ small_integer_column ~ ' between 0 and 126, false)' %}
    with

    groups_with_repeats as (
        select {{ group_columns | join(', ') }}
        from {{ model }}
        where {{ in_mask }}
        group by {{ group_columns | join(', ') }}
        having count(*) > bit_count(bit_or(cast(1 as hugeint) << cast({{ small_integer_column }} as hugeint)))
    ),

    suspect_rows as (
        select {{ key }}
        from {{ model }}
        where not {{ in_mask }}
        union all
        select {% for column in combination_of_columns %}keyed.{{ column }}{{ ", " if not loop.last }}{% endfor %}
        from {{ model }} as keyed
        semi join groups_with_repeats
            on
                {%- for column in group_columns %}
                {{ "and " if not loop.first }}keyed.{{ column }} is not distinct from groups_with_repeats.{{ column }}
                {%- endfor %}
        where {{ in_mask }}
    )

    select
        {{ key }},
        count(*) as occurrences
    from suspect_rows
    group by {{ key }}
    having count(*) > 1
    {%- endif %}
{% endtest %}
