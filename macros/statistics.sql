{#-
    Confidence intervals, one macro per method, each an SQL expression over columns. Tested against scipy in
    tests/python/test_statistics_macros.py. z comes from var confidence_z (1.959964 for 95 %).
-#}

{#- Wilson score interval for a proportion numerator/denominator, as a proportion, clamped to 0-1 against rounding. -#}
{% macro wilson_lower(numerator, denominator, z=none) -%}
    {%- set z = z if z is not none else var('confidence_z') -%}
    greatest(0.0, (
        ({{ numerator }} / {{ denominator }} + pow({{ z }}, 2) / (2 * {{ denominator }}))
        - {{ z }} * sqrt(
            {{ numerator }} / {{ denominator }} * (1 - {{ numerator }} / {{ denominator }}) / {{ denominator }}
            + pow({{ z }}, 2) / (4 * pow({{ denominator }}, 2))
        )
    ) / (1 + pow({{ z }}, 2) / {{ denominator }}))
{%- endmacro %}

{% macro wilson_upper(numerator, denominator, z=none) -%}
    {%- set z = z if z is not none else var('confidence_z') -%}
    least(1.0, (
        ({{ numerator }} / {{ denominator }} + pow({{ z }}, 2) / (2 * {{ denominator }}))
        + {{ z }} * sqrt(
            {{ numerator }} / {{ denominator }} * (1 - {{ numerator }} / {{ denominator }}) / {{ denominator }}
            + pow({{ z }}, 2) / (4 * pow({{ denominator }}, 2))
        )
    ) / (1 + pow({{ z }}, 2) / {{ denominator }}))
{%- endmacro %}

{#- Byar's approximation to the exact Poisson limits of an observed count (used from 10 events up). -#}
{% macro byar_lower(observed, z=none) -%}
    {%- set z = z if z is not none else var('confidence_z') -%}
    ({{ observed }} * pow(1 - 1 / (9 * {{ observed }}) - {{ z }} / (3 * sqrt({{ observed }})), 3))
{%- endmacro %}

{% macro byar_upper(observed, z=none) -%}
    {%- set z = z if z is not none else var('confidence_z') -%}
    (({{ observed }} + 1) * pow(1 - 1 / (9 * ({{ observed }} + 1)) + {{ z }} / (3 * sqrt({{ observed }} + 1)), 3))
{%- endmacro %}

{#-
    Poisson limits of an observed count: exact (chi-square) below var poisson_exact_below events, read from
    the seed poisson_exact_limits joined as `exact_table` on the count, Byar's approximation from there up.
-#}
{% macro poisson_lower(observed, exact_table) -%}
    case
        when {{ observed }} < {{ var('poisson_exact_below') }} then {{ exact_table }}.lower_limit
        else {{ byar_lower(observed) }}
    end
{%- endmacro %}

{% macro poisson_upper(observed, exact_table) -%}
    case
        when {{ observed }} < {{ var('poisson_exact_below') }} then {{ exact_table }}.upper_limit
        else {{ byar_upper(observed) }}
    end
{%- endmacro %}

{#-
    Dobson's method for a directly standardised rate: the Poisson limits of the observed total
    (observed_lower, observed_upper) are carried to the rate through its variance.
-#}
{% macro dobson_limit(rate, rate_variance, observed, observed_limit) -%}
    ({{ rate }} + sqrt({{ rate_variance }} / {{ observed }}) * ({{ observed_limit }} - {{ observed }}))
{%- endmacro %}

{#-
    Compare a unit with a comparator value: 'similar' when the comparator lies inside the unit's interval,
    otherwise 'lower'/'higher', or 'better'/'worse' by the indicator's polarity. NULL without an interval.
    Expects columns value, ci_lower, ci_upper, spv_flag and polarity.
-#}
{% macro compare_with(comparator) -%}
    case
        when spv_flag <> 0 or ci_lower is null or ci_upper is null or {{ comparator }} is null then null
        when {{ comparator }} between ci_lower and ci_upper then 'similar'
        when polarity = 'low_is_good' then case when value < {{ comparator }} then 'better' else 'worse' end
        when polarity = 'high_is_good' then case when value > {{ comparator }} then 'better' else 'worse' end
        when value < {{ comparator }} then 'lower'
        else 'higher'
    end
{%- endmacro %}
