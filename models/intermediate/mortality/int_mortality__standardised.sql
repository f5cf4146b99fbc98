-- Directly and indirectly age-standardised mortality over rolling periods for every unit and sex.
-- dsr: sum over 5-year bands of standard weight * band rate, per 100,000; the standard population is Norway
--      (both sexes) on 1 January of var standard_population_year. Interval by Dobson's method from the Poisson
--      limits of the observed deaths.
-- isr: observed / expected deaths * 100, expected from Norway's rates by sex and band in the same period;
--      interval from the Poisson limits of the observed deaths (exact below 10, Byar from 10).
with

catalogue as (
    select
        indicator_id,
        method,
        multiplier
    from {{ ref('indicator_catalogue') }}
    where method in ('dsr', 'isr')
),

periods as (
    select
        periods.indicator_id,
        periods.age_group,
        periods.period_start,
        periods.period_end,
        periods.years_in_data,
        catalogue.method,
        catalogue.multiplier
    from {{ ref('int_indicators__periods') }} as periods
    inner join catalogue on periods.indicator_id = catalogue.indicator_id
),

bands as (
    select distinct
        life_table_band,
        standard_band
    from {{ ref('mortality_age_bands') }}
),

-- Band sums over each distinct period (the indicators of both methods share them), in standard bands.
band_sums as materialized (
    select
        period_sums.period_start,
        period_sums.period_end,
        period_sums.geo_key,
        period_sums.sex,
        bands.standard_band,
        sum(period_sums.person_years) as person_years,
        sum(period_sums.deaths) as deaths
    from {{ ref('int_mortality__period_sums') }} as period_sums
    inner join bands on period_sums.life_table_band = bands.life_table_band
    group by all
),

-- From the fact pass (bands there nest in the standard bands), not another scan of the raw population.
standard_population as (
    select
        age_bands.standard_band,
        sum(population.count_value) as standard_persons
    from {{ ref('int_facts__by_zone') }} as population
    inner join {{ ref('int_facts__series') }} as series on population.series_key = series.series_key
    inner join {{ ref('int_mortality__age_bands_by_age') }} as age_bands on population.band_lo = age_bands.age
    where
        series.source = 'population'
        and series.measure = 'persons'
        and population.year = {{ var('standard_population_year') }}
    group by age_bands.standard_band
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

land as (
    select geo_key
    from {{ ref('int_facts__geo_units') }}
    where geo_level = 'land'
),

cells as (
    select
        periods.indicator_id,
        periods.age_group,
        periods.period_start,
        periods.period_end,
        periods.years_in_data,
        periods.method,
        periods.multiplier,
        units.geo_level,
        units.geo_code,
        units.geo_key,
        sexes.sex
    from periods
    cross join units
    cross join (values ('0'), ('1'), ('2')) as sexes (sex)
),

national_rates as (
    select
        period_start,
        period_end,
        sex,
        standard_band,
        deaths / nullif(person_years, 0) as national_rate
    from band_sums
    where geo_key in (select land.geo_key from land) and sex in ('1', '2')
),

-- Expected deaths by sex-specific national rates; for both sexes the sum of the two.
expected as (
    select
        band_sums.period_start,
        band_sums.period_end,
        band_sums.geo_key,
        band_sums.sex,
        sum(band_sums.person_years * coalesce(national_rates.national_rate, 0)) as expected_deaths
    from band_sums
    inner join national_rates
        on
            band_sums.period_start = national_rates.period_start
            and band_sums.period_end = national_rates.period_end
            and band_sums.sex = national_rates.sex
            and band_sums.standard_band = national_rates.standard_band
    group by all
    union all
    select
        band_sums.period_start,
        band_sums.period_end,
        band_sums.geo_key,
        '0' as sex,
        sum(band_sums.person_years * coalesce(national_rates.national_rate, 0)) as expected_deaths
    from band_sums
    inner join national_rates
        on
            band_sums.period_start = national_rates.period_start
            and band_sums.period_end = national_rates.period_end
            and band_sums.sex = national_rates.sex
            and band_sums.standard_band = national_rates.standard_band
    group by all
),

direct as (
    select
        band_sums.period_start,
        band_sums.period_end,
        band_sums.geo_key,
        band_sums.sex,
        sum(band_sums.deaths) as observed,
        sum(band_sums.person_years) as person_years,
        sum(
            standard_population.standard_persons * coalesce(band_sums.deaths / nullif(band_sums.person_years, 0), 0)
        ) / sum(standard_population.standard_persons) as standardised_rate,
        sum(
            pow(standard_population.standard_persons, 2) * coalesce(
                band_sums.deaths / nullif(pow(band_sums.person_years, 2), 0), 0
            )
        ) / pow(sum(standard_population.standard_persons), 2) as standardised_rate_variance,
        bool_or(band_sums.deaths > 0 and band_sums.person_years = 0) as has_deaths_without_exposure
    from band_sums
    inner join standard_population on band_sums.standard_band = standard_population.standard_band
    group by all
),

combined as (
    select
        cells.indicator_id,
        cells.age_group,
        cells.period_start,
        cells.period_end,
        cells.years_in_data,
        cells.method,
        cells.multiplier,
        cells.geo_level,
        cells.geo_code,
        cells.sex,
        cast(coalesce(direct.observed, 0) as double) as observed,
        coalesce(direct.person_years, 0) as person_years,
        direct.standardised_rate,
        direct.standardised_rate_variance,
        coalesce(direct.has_deaths_without_exposure, false) as has_deaths_without_exposure,
        expected.expected_deaths
    from cells
    left join direct
        on
            cells.period_start = direct.period_start
            and cells.period_end = direct.period_end
            and cells.geo_key = direct.geo_key
            and cells.sex = direct.sex
    left join expected
        on
            cells.period_start = expected.period_start
            and cells.period_end = expected.period_end
            and cells.geo_key = expected.geo_key
            and cells.sex = expected.sex
),

exact_limits as (
    select
        observed,
        lower_limit,
        upper_limit
    from {{ ref('poisson_exact_limits') }}
),

with_limits as (
    select
        combined.*,
        {{ poisson_lower('combined.observed', 'exact_limits') }} as observed_lower,
        {{ poisson_upper('combined.observed', 'exact_limits') }} as observed_upper
    from combined
    left join exact_limits on combined.observed = exact_limits.observed
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
        observed as numerator,
        case when method = 'dsr' then person_years else expected_deaths end as denominator,
        case
            when method = 'dsr' and person_years > 0 then multiplier * standardised_rate
            when method = 'isr' and expected_deaths > 0 then multiplier * observed / expected_deaths
        end as value,
        case
            when method = 'dsr' and person_years > 0 and observed > 0
                then multiplier * {{ dobson_limit(
                    'standardised_rate', 'standardised_rate_variance', 'observed', 'observed_lower'
                ) }}
            when method = 'isr' and expected_deaths > 0 then multiplier * observed_lower / expected_deaths
        end as ci_lower,
        case
            when method = 'dsr' and person_years > 0 and observed > 0
                then multiplier * {{ dobson_limit(
                    'standardised_rate', 'standardised_rate_variance', 'observed', 'observed_upper'
                ) }}
            when method = 'isr' and expected_deaths > 0 then multiplier * observed_upper / expected_deaths
        end as ci_upper,
        case
            when years_in_data < period_end - period_start + 1 then 1
            when person_years = 0 or has_deaths_without_exposure then 2
            when method = 'isr' and coalesce(expected_deaths, 0) = 0 then 2
            else 0
        end as spv_flag
    from with_limits
)

select * from final
