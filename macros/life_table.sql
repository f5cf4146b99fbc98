{#-
    Abridged period life table by Chiang's method (Chiang II), with Chiang's variance of the life expectancy and
    Silcocks' term for the open band, as in the ONS/PHE life expectancy calculator (Silcocks, Jenner and Reza,
    J Epidemiol Community Health 2001;55:38-43). Tested against an independent numpy implementation in
    tests/python/test_life_table.py.

    relation:      one row per group and band, with the group_columns and
                   life_table_band (lower age of the band), band_width (n, in years; ignored for the open band),
                   person_years (P) and deaths (D). Every band of the table must be present; the group's first
                   band starts the table (l = radix) and its last band is the open band (q = 1, L = l / M).
                   For the expectancy at age 30 pass only the bands from 30 up: e30 does not depend on the bands
                   below, and a band below 30 without exposure then does not hide it.
    group_columns: the columns that identify one life table (unit, sex, period, ...).
    radix:         l of the first band.

    Returns one row per group and band with the columns of the table and is_computable. A table is computable
    when every band has person-years and the open band has deaths (its rate M > 0, else L = l / M is
    undefined); otherwise every computed column of the group is NULL. Checks of precision (small populations,
    deaths above person-years) are left to the caller.
    Only plain jinja and var() are used, so the macro renders outside dbt too.
-#}
{% macro life_table(relation, group_columns, radix=100000) %}
    {%- set groups = group_columns | join(', ') -%}
    with

    -- M = D / P, and a, the fraction of the band lived by those who die in it: 0.1 in the first year of life,
    -- where deaths cluster in the first weeks, 0.5 in every other band.
    rates as (
        select
            {{ groups }},
            life_table_band,
            cast(band_width as double) as band_width,
            cast(person_years as double) as person_years,
            cast(deaths as double) as deaths,
            cast(case when life_table_band = 0 then 0.1 else 0.5 end as double) as fraction_lived,
            life_table_band = max(life_table_band) over (partition by {{ groups }}) as is_open_band,
            cast(deaths as double) / nullif(person_years, 0) as death_rate
        from {{ relation }}
    ),

    -- A table with a band without exposure, or without deaths in the open band, cannot be computed at all.
    checked as (
        select
            *,
            coalesce(
                bool_and(person_years > 0) over (partition by {{ groups }})
                and bool_or(is_open_band and deaths > 0) over (partition by {{ groups }}),
                false
            ) as is_computable
        from rates
    ),

    -- q = n M / (1 + n (1 - a) M), capped at 1; the open band has q = 1.
    -- Var(q) = n^2 M (1 - a n M) / (P (1 + (1 - a) n M)^3) (Chiang). q reaches the cap exactly when a n M >= 1,
    -- where this expression is <= 0: a capped q has no sampling variance, so it is floored at 0.
    probabilities as (
        select
            *,
            case
                when not is_computable then null
                when is_open_band then 1.0
                else least(
                    1.0,
                    band_width * death_rate / (1 + band_width * (1 - fraction_lived) * death_rate)
                )
            end as probability_of_dying,
            case
                when not is_computable or is_open_band then null
                else greatest(
                    0.0,
                    pow(band_width, 2) * death_rate * (1 - fraction_lived * band_width * death_rate)
                    / (person_years * pow(1 + (1 - fraction_lived) * band_width * death_rate, 3))
                )
            end as probability_of_dying_variance
        from checked
    ),

    -- l: survivors to the start of the band, the radix times the product of (1 - q) of the bands before it.
    -- product() multiplies exactly, so q = 0 (factor 1) and a capped q = 1 (factor 0: nobody survives the band,
    -- every later l is 0) need no special case, unlike exp(sum(ln(1 - q))). The first band's frame is empty.
    survivors as (
        select
            *,
            case
                when is_computable
                    then {{ radix }} * coalesce(
                        product(1 - probability_of_dying) over (
                            partition by {{ groups }} order by life_table_band
                            rows between unbounded preceding and 1 preceding
                        ),
                        1.0
                    )
            end as survivors
        from probabilities
    ),

    -- d = l q; L, the person-years lived in the band: n (l - d) + a n d, and l / M in the open band.
    years_lived as (
        select
            *,
            survivors * probability_of_dying as table_deaths,
            case
                when is_open_band then survivors / death_rate
                else band_width * (survivors - survivors * probability_of_dying)
                    + fraction_lived * band_width * survivors * probability_of_dying
            end as years_lived
        from survivors
    ),

    -- T, the person-years lived from the band on (L summed from the top), and e = T / l. e is NULL where l = 0
    -- (everybody died in an earlier band).
    expectancies as (
        select
            *,
            sum(years_lived) over (
                partition by {{ groups }} order by life_table_band
                rows between current row and unbounded following
            ) as years_lived_above,
            sum(years_lived) over (
                partition by {{ groups }} order by life_table_band
                rows between current row and unbounded following
            ) / nullif(survivors, 0) as life_expectancy
        from years_lived
    ),

    -- Each band's share of the variance of e, before division by l_x^2:
    --   closed band i: l_i^2 ((1 - a_i) n_i + e_{i+1})^2 Var(q_i), with e_{i+1} = 0 where nobody reaches i + 1
    --                  (then l_{i+1} = 0 and the band's years after death count for nothing more);
    --   open band w:   l_w^2 / M_w^4 Var(M_w), Var(M_w) = D_w / P_w^2 (Silcocks).
    variance_terms as (
        select
            *,
            case
                when is_open_band
                    then pow(survivors, 2) / pow(death_rate, 4) * deaths / pow(person_years, 2)
                else pow(survivors, 2)
                    * pow(
                        (1 - fraction_lived) * band_width
                        + coalesce(
                            lead(life_expectancy) over (partition by {{ groups }} order by life_table_band), 0
                        ),
                        2
                    )
                    * probability_of_dying_variance
            end as variance_term
        from expectancies
    ),

    -- Var(e_x) = (sum of the terms of band x and every band above it) / l_x^2.
    final as (
        select
            {{ groups }},
            life_table_band,
            band_width,
            person_years,
            deaths,
            is_open_band,
            is_computable,
            fraction_lived,
            case when is_computable then death_rate end as death_rate,
            probability_of_dying,
            probability_of_dying_variance,
            survivors,
            table_deaths,
            years_lived,
            years_lived_above,
            life_expectancy,
            sum(variance_term) over (
                partition by {{ groups }} order by life_table_band
                rows between current row and unbounded following
            ) / nullif(pow(survivors, 2), 0) as life_expectancy_variance
        from variance_terms
    )

    select * from final
{% endmacro %}
