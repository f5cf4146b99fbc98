-- Life expectancy (forventet levealder) over rolling periods for every unit and sex: an abridged period life
-- table by Chiang's method for each indicator of method life_table (macro life_table), on the deaths and
-- person-years of int_mortality__period_sums. The expectancy is measured from
-- the age that ends the indicator id (life_expectancy_30: at 30), at birth otherwise; that age must be the
-- lower age of a life-table band. 95 % interval: e +- z sqrt(Var(e)), Chiang's variance with Silcocks' term.
-- Life expectancy does not use the small-cell limits; it has its own rules (spv_flag):
--   1  the period has fewer years of data than its length, or the 95 % interval is wider than
--      var life_expectancy_max_interval_width years (unusable);
--   2  at most var life_expectancy_min_person_years person-years from the start age up, a band without
--      person-years, deaths above person-years in a band, or no deaths in the open band 90+ (cannot be computed).
-- Where spv_flag > 0 value, numerator, denominator and the interval are NULL.
with

catalogue as (
    select
        indicator_id,
        sexes,
        coalesce(try_cast(regexp_extract(indicator_id, '_([0-9]+)$', 1) as integer), 0) as start_age
    from {{ ref('indicator_catalogue') }}
    where method = 'life_table'
),

periods as (
    select
        periods.indicator_id,
        periods.age_group,
        periods.period_start,
        periods.period_end,
        periods.years_in_data,
        catalogue.sexes,
        catalogue.start_age
    from {{ ref('int_indicators__periods') }} as periods
    inner join catalogue on periods.indicator_id = catalogue.indicator_id
),

bands as (
    select
        life_table_band,
        age_hi - age_lo + 1 as band_width
    from {{ ref('mortality_age_bands') }}
),

-- Every unit of the current geography.
units as (
    select
        geo_key,
        geo_level,
        geo_code
    from {{ ref('int_facts__geo_units') }}
    where is_in_geography
),

-- Every indicator, period, unit and published sex: units without any data are kept and flagged. Each cell's
-- life table is keyed by an integer: the table's window functions partition on it several times faster than on
-- the five key columns.
cells as (
    select
        row_number() over () as table_id,
        periods.indicator_id,
        periods.age_group,
        periods.period_start,
        periods.period_end,
        periods.years_in_data,
        periods.start_age,
        units.geo_level,
        units.geo_code,
        units.geo_key,
        sexes.sex
    from periods
    cross join units
    cross join unnest(string_split(periods.sexes, ' ')) as sexes (sex)
),

-- Deaths and person-years summed over the years of each distinct period.
band_sums as (
    select
        period_start,
        period_end,
        geo_key,
        sex,
        life_table_band,
        person_years,
        deaths
    from {{ ref('int_mortality__period_sums') }}
),

-- The input of each life table: every band from the start age up, with zeros where there is no data.
table_input as (
    select
        cells.table_id,
        bands.life_table_band,
        bands.band_width,
        coalesce(band_sums.person_years, 0) as person_years,
        coalesce(band_sums.deaths, 0) as deaths
    from cells
    inner join bands on cells.start_age <= bands.life_table_band
    left join band_sums
        on
            cells.period_start = band_sums.period_start
            and cells.period_end = band_sums.period_end
            and cells.geo_key = band_sums.geo_key
            and cells.sex = band_sums.sex
            and bands.life_table_band = band_sums.life_table_band
),

life_tables as (
    {{ life_table('table_input', ['table_id']) }}
),

-- Totals and the data checks of each table (from the start age up).
table_checks as (
    select
        table_id,
        sum(deaths) as deaths,
        sum(person_years) as person_years,
        bool_or(person_years = 0) as has_band_without_exposure,
        bool_or(deaths > person_years) as has_deaths_above_exposure
    from table_input
    group by table_id
),

combined as (
    select
        cells.indicator_id,
        cells.age_group,
        cells.period_start,
        cells.period_end,
        cells.years_in_data,
        cells.geo_level,
        cells.geo_code,
        cells.sex,
        cast(table_checks.deaths as double) as deaths,
        cast(table_checks.person_years as double) as person_years,
        table_checks.has_band_without_exposure,
        table_checks.has_deaths_above_exposure,
        life_tables.life_expectancy,
        {{ var('confidence_z') }} * sqrt(life_tables.life_expectancy_variance) as half_width
    from cells
    inner join table_checks on cells.table_id = table_checks.table_id
    left join life_tables
        on
            cells.table_id = life_tables.table_id
            and cells.start_age = life_tables.life_table_band
),

flagged as (
    select
        *,
        case
            when years_in_data < period_end - period_start + 1 then 1
            when
                person_years <= {{ var('life_expectancy_min_person_years') }}
                or has_band_without_exposure
                or has_deaths_above_exposure
                or life_expectancy is null
                or half_width is null
                then 2
            when 2 * half_width > {{ var('life_expectancy_max_interval_width') }} then 1
            else 0
        end as spv_flag
    from combined
),

final as (
    select
        indicator_id,
        age_group,
        period_start,
        period_end,
        geo_level,
        geo_code,
        sex,
        case when spv_flag = 0 then deaths end as numerator,
        case when spv_flag = 0 then person_years end as denominator,
        case when spv_flag = 0 then life_expectancy end as value,
        case when spv_flag = 0 then life_expectancy - half_width end as ci_lower,
        case when spv_flag = 0 then life_expectancy + half_width end as ci_upper,
        spv_flag
    from flagged
)

select * from final
