-- Zone and bydel cells that recoding makes unreliable (spv_flag 1, applied in int_indicators__suppressed).
-- Coverage rule: where more than var coverage_max_unknown_share of a kommune's numerator lies outside its
-- zones (unknown grunnkrets, old codes that could not be placed), or the numerator's and denominator's
-- unknown shares differ by more than var coverage_max_share_difference, the kommune's zones and bydeler
-- are not comparable with it for that period. Zone start year: a zone whose population changes by more than
-- var zone_start_max_population_change from one year to the next starts its comparable series in the later
-- year; periods starting earlier are flagged. Population counts are public statistics and are never flagged.
with

cells as (
    select
        unioned.indicator_id,
        unioned.age_group,
        unioned.period_start,
        unioned.geo_level,
        unioned.geo_code,
        unioned.sex,
        unioned.numerator,
        unioned.denominator
    from {{ ref('int_indicators__unioned') }} as unioned
    inner join {{ ref('indicator_catalogue') }} as catalogue
        on unioned.indicator_id = catalogue.indicator_id
    where catalogue.method <> 'count'
),

kommuner as (
    select
        indicator_id,
        age_group,
        period_start,
        geo_code as kommune_code,
        sex,
        numerator,
        denominator
    from cells
    where geo_level = 'kommune'
),

zone_sums as (
    select
        indicator_id,
        age_group,
        period_start,
        substr(geo_code, 1, 4) as kommune_code,
        sex,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from cells
    where geo_level = 'levekarssone'
    group by indicator_id, age_group, period_start, substr(geo_code, 1, 4), sex
),

unknown_shares as (
    select
        kommuner.indicator_id,
        kommuner.age_group,
        kommuner.period_start,
        kommuner.kommune_code,
        kommuner.sex,
        case
            when kommuner.numerator > 0 then 1 - zone_sums.numerator / kommuner.numerator
        end as numerator_unknown_share,
        case
            when kommuner.denominator > 0 then 1 - zone_sums.denominator / kommuner.denominator
        end as denominator_unknown_share
    from kommuner
    inner join zone_sums
        on
            kommuner.indicator_id = zone_sums.indicator_id
            and kommuner.age_group = zone_sums.age_group
            and kommuner.period_start = zone_sums.period_start
            and kommuner.kommune_code = zone_sums.kommune_code
            and kommuner.sex = zone_sums.sex
),

poor_coverage as (
    select
        indicator_id,
        age_group,
        period_start,
        kommune_code,
        sex
    from unknown_shares
    where
        numerator_unknown_share > {{ var('coverage_max_unknown_share') }}
        or abs(numerator_unknown_share - denominator_unknown_share) > {{ var('coverage_max_share_difference') }}
),

zone_population as (
    select
        counts.year,
        geo_units.geo_code,
        counts.count_value as persons,
        lag(counts.count_value) over (partition by geo_units.geo_code order by counts.year) as persons_year_before
    from {{ ref('int_counts__by_geography') }} as counts
    inner join {{ ref('int_counts__terms') }} as terms on counts.term_key = terms.term_key
    inner join {{ ref('int_facts__geo_units') }} as geo_units on counts.geo_key = geo_units.geo_key
    where
        geo_units.geo_level = 'levekarssone'
        and terms.source = 'population'
        and terms.measure = 'persons'
        and terms.age_group = '0_120'
        and counts.sex = '0'
),

zone_start_years as (
    select
        geo_code,
        max(year) as start_year
    from zone_population
    where
        persons_year_before > 0
        and abs(persons / persons_year_before - 1) > {{ var('zone_start_max_population_change') }}
    group by geo_code
),

flags as (
    select
        cells.indicator_id,
        cells.age_group,
        cells.period_start,
        cells.geo_level,
        cells.geo_code,
        cells.sex,
        'coverage' as recoding_rule
    from cells
    inner join poor_coverage
        on
            cells.indicator_id = poor_coverage.indicator_id
            and cells.age_group = poor_coverage.age_group
            and cells.period_start = poor_coverage.period_start
            and substr(cells.geo_code, 1, 4) = poor_coverage.kommune_code
            and cells.sex = poor_coverage.sex
    where cells.geo_level in ('levekarssone', 'bydel')
    union all
    select
        cells.indicator_id,
        cells.age_group,
        cells.period_start,
        cells.geo_level,
        cells.geo_code,
        cells.sex,
        'zone_start_year' as recoding_rule
    from cells
    inner join zone_start_years
        on cells.geo_code = zone_start_years.geo_code and cells.period_start < zone_start_years.start_year
    where cells.geo_level = 'levekarssone'
),

final as (
    select
        indicator_id,
        age_group,
        period_start,
        geo_level,
        geo_code,
        sex,
        string_agg(recoding_rule, ',' order by recoding_rule) as recoding_rules
    from flags
    group by indicator_id, age_group, period_start, geo_level, geo_code, sex
)

select * from final
