-- Small-cell rules on the public mart: no shown cell of a suppressible indicator has a numerator in 1..T,
-- almost everybody (denominator - numerator <= T, shares), or a denominator <= N (not for SMR, whose
-- denominator is expected deaths); and no hidden cell (spv_flag > 0) shows a number.
with

published as (
    select
        indicator_id,
        period,
        geo_level,
        geo_code,
        sex,
        age_group,
        numerator,
        denominator,
        value,
        ci_lower,
        ci_upper,
        spv_flag
    from {{ ref('indicator_values') }}
),

limits as (
    select
        indicator_id,
        method,
        numerator_limit,
        denominator_limit
    from {{ ref('indicator_catalogue') }}
    where numerator_limit is not null
),

small_cells_shown as (
    select
        published.indicator_id,
        published.period,
        published.geo_level,
        published.geo_code,
        published.sex,
        published.age_group,
        'small cell shown' as problem
    from published
    inner join limits on published.indicator_id = limits.indicator_id
    where
        published.spv_flag = 0
        and (
            published.numerator between 1 and limits.numerator_limit
            or (
                limits.method = 'share'
                and published.denominator - published.numerator <= limits.numerator_limit
            )
            or (limits.method <> 'isr' and published.denominator <= limits.denominator_limit)
        )
),

hidden_numbers_shown as (
    select
        indicator_id,
        period,
        geo_level,
        geo_code,
        sex,
        age_group,
        'number shown in a hidden cell' as problem
    from published
    where
        spv_flag > 0
        and (
            numerator is not null
            or denominator is not null
            or value is not null
            or ci_lower is not null
            or ci_upper is not null
        )
)

select * from small_cells_shown
union all
select * from hidden_numbers_shown
