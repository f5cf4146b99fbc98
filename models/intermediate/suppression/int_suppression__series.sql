-- Series rule (issue 5 rule 3): a series (indicator, age group, unit, sex over all periods) that is mostly
-- small or often suppressed is hidden whole, because its shown periods would invite differencing across
-- overlapping periods and a patchwork series says little. Applies to indicators with a numerator limit;
-- periods with spv_flag 1 or 2 (nothing computed) do not count. The secondary cells (int_suppression__secondary)
-- are applied first.
with

after_primary as (
    select
        indicator_id,
        age_group,
        period_start,
        period_end,
        geo_level,
        geo_code,
        sex,
        numerator,
        denominator,
        value,
        ci_lower,
        ci_upper,
        spv_flag,
        suppression_reason
    from {{ ref('int_indicators__suppressed') }}
),

secondary_marks as (
    select
        indicator_id,
        age_group,
        period_start,
        geo_level,
        geo_code,
        sex,
        suppression_reason
    from {{ ref('int_suppression__secondary') }}
),

cells as (
    select
        after_primary.indicator_id,
        after_primary.age_group,
        after_primary.period_start,
        after_primary.period_end,
        after_primary.geo_level,
        after_primary.geo_code,
        after_primary.sex,
        after_primary.numerator,
        after_primary.denominator,
        after_primary.value,
        after_primary.ci_lower,
        after_primary.ci_upper,
        case when secondary_marks.indicator_id is null then after_primary.spv_flag else 3 end as spv_flag,
        coalesce(secondary_marks.suppression_reason, after_primary.suppression_reason) as suppression_reason
    from after_primary
    left join secondary_marks
        on
            after_primary.indicator_id = secondary_marks.indicator_id
            and after_primary.age_group = secondary_marks.age_group
            and after_primary.period_start = secondary_marks.period_start
            and after_primary.geo_level = secondary_marks.geo_level
            and after_primary.geo_code = secondary_marks.geo_code
            and after_primary.sex = secondary_marks.sex
),

limits as (
    select
        indicator_id,
        numerator_limit
    from {{ ref('indicator_catalogue') }}
    where numerator_limit is not null
),

series as (
    select
        cells.indicator_id,
        cells.age_group,
        cells.geo_level,
        cells.geo_code,
        cells.sex,
        count(*) as computed_periods,
        count(*) filter (
            where cells.numerator <= {{ var('suppression_series_small_multiple') }} * limits.numerator_limit
        ) as small_periods,
        count(*) filter (where cells.spv_flag = 3) as suppressed_periods
    from cells
    inner join limits on cells.indicator_id = limits.indicator_id
    where cells.spv_flag in (0, 3)
    group by cells.indicator_id, cells.age_group, cells.geo_level, cells.geo_code, cells.sex
),

hidden_series as (
    select
        indicator_id,
        age_group,
        geo_level,
        geo_code,
        sex
    from series
    where
        small_periods > {{ var('suppression_series_max_small_share') }} * computed_periods
        or suppressed_periods > {{ var('suppression_series_max_suppressed_share') }} * computed_periods
),

final as (
    select
        cells.indicator_id,
        cells.age_group,
        cells.period_start,
        cells.period_end,
        cells.geo_level,
        cells.geo_code,
        cells.sex,
        cells.numerator,
        cells.denominator,
        cells.value,
        cells.ci_lower,
        cells.ci_upper,
        case when hidden_series.indicator_id is not null and cells.spv_flag = 0 then 3 else cells.spv_flag end
            as spv_flag,
        case
            when hidden_series.indicator_id is not null and cells.spv_flag = 0 then 'series'
            else cells.suppression_reason
        end as suppression_reason
    from cells
    left join hidden_series
        on
            cells.indicator_id = hidden_series.indicator_id
            and cells.age_group = hidden_series.age_group
            and cells.geo_level = hidden_series.geo_level
            and cells.geo_code = hidden_series.geo_code
            and cells.sex = hidden_series.sex
)

select * from final
