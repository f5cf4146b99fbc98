-- Zones partition their kommune, so a kommune's life expectancy should lie between its lowest and highest
-- shown zone. Over kommuner with at least 5 shown zones (per life-table indicator, period and sex), fails with
-- the kommuner outside their zones' range when they are more than 10 % of such cases.
with

shown as (
    select
        indicator_id,
        period,
        geo_level,
        geo_code,
        sex,
        value
    from {{ ref('indicator_values') }}
    where
        spv_flag = 0
        and indicator_id in (
            select life_tables.indicator_id from {{ ref('indicators') }} as life_tables
            where life_tables.method = 'life_table'
        )
),

zones as (
    select
        geo_code,
        kommune_code
    from {{ ref('geography') }}
    where geo_level = 'levekarssone'
),

zone_ranges as (
    select
        shown.indicator_id,
        shown.period,
        shown.sex,
        zones.kommune_code,
        count(*) as shown_zones,
        min(shown.value) as lowest_zone_value,
        max(shown.value) as highest_zone_value
    from shown
    inner join zones on shown.geo_code = zones.geo_code
    where shown.geo_level = 'levekarssone'
    group by all
    having count(*) >= 5
),

compared as (
    select
        zone_ranges.indicator_id,
        zone_ranges.period,
        zone_ranges.sex,
        zone_ranges.kommune_code,
        zone_ranges.shown_zones,
        zone_ranges.lowest_zone_value,
        zone_ranges.highest_zone_value,
        kommuner.value as kommune_value,
        kommuner.value not between zone_ranges.lowest_zone_value and zone_ranges.highest_zone_value
            as is_outside
    from zone_ranges
    inner join shown as kommuner
        on
            zone_ranges.indicator_id = kommuner.indicator_id
            and zone_ranges.period = kommuner.period
            and zone_ranges.sex = kommuner.sex
            and zone_ranges.kommune_code = kommuner.geo_code
            and kommuner.geo_level = 'kommune'
)

select
    indicator_id,
    period,
    sex,
    kommune_code,
    shown_zones,
    lowest_zone_value,
    highest_zone_value,
    kommune_value
from compared
where
    is_outside
    and (select avg(case when all_cases.is_outside then 1.0 else 0.0 end) from compared as all_cases) > 0.10
