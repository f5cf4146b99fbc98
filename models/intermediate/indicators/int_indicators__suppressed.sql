-- Primary small-cell suppression (spv_flag 3) with the catalogue's limits: a cell is hidden when its
-- period numerator is at most numerator_limit (T); for shares also when denominator - numerator is at most
-- T (almost everybody); and when its denominator (persons or person-years) is at most denominator_limit (N),
-- which does not apply to the expected deaths of an SMR. Indicators without limits (population, life
-- expectancy) follow their own rules. suppression_reason is kept here for QC and never published.
with

indicator_rows as (
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
        spv_flag
    from {{ ref('int_indicators__unioned') }}
),

limits as (
    select
        indicator_id,
        method,
        numerator_limit,
        denominator_limit
    from {{ ref('indicator_catalogue') }}
),

flagged as (
    select
        indicator_rows.indicator_id,
        indicator_rows.age_group,
        indicator_rows.period_start,
        indicator_rows.period_end,
        indicator_rows.geo_level,
        indicator_rows.geo_code,
        indicator_rows.sex,
        indicator_rows.numerator,
        indicator_rows.denominator,
        indicator_rows.value,
        indicator_rows.ci_lower,
        indicator_rows.ci_upper,
        indicator_rows.spv_flag,
        indicator_rows.spv_flag = 0
        and (
            indicator_rows.numerator <= limits.numerator_limit
            or (
                limits.method = 'share'
                and indicator_rows.denominator - indicator_rows.numerator <= limits.numerator_limit
            )
            or (limits.method <> 'isr' and indicator_rows.denominator <= limits.denominator_limit)
        ) as is_primary_suppressed
    from indicator_rows
    inner join limits on indicator_rows.indicator_id = limits.indicator_id
),

recoding_flags as (
    select
        indicator_id,
        age_group,
        period_start,
        geo_level,
        geo_code,
        sex
    from {{ ref('int_indicators__recoding_flags') }}
),

final as (
    select
        flagged.indicator_id,
        flagged.age_group,
        flagged.period_start,
        flagged.period_end,
        flagged.geo_level,
        flagged.geo_code,
        flagged.sex,
        flagged.numerator,
        flagged.denominator,
        flagged.value,
        flagged.ci_lower,
        flagged.ci_upper,
        case
            when coalesce(flagged.is_primary_suppressed, false) then 3
            -- Recoding (coverage rule, zone start year): not comparable, so unreliable.
            when flagged.spv_flag = 0 and recoding_flags.geo_code is not null then 1
            else flagged.spv_flag
        end as spv_flag,
        case when coalesce(flagged.is_primary_suppressed, false) then 'primary' end as suppression_reason
    from flagged
    left join recoding_flags
        on
            flagged.indicator_id = recoding_flags.indicator_id
            and flagged.age_group = recoding_flags.age_group
            and flagged.period_start = recoding_flags.period_start
            and flagged.geo_level = recoding_flags.geo_level
            and flagged.geo_code = recoding_flags.geo_code
            and flagged.sex = recoding_flags.sex
)

select * from final
