-- Deaths and person-years by year, unit (every level), sex (0 = both) and life-table age band: the base of
-- standardised mortality and life expectancy. Person-years of a year are the mean of the population on
-- 1 January of the year and of the next year (middelfolkemengde); where the next 1 January is not in the
-- data, the year's own 1 January. Person-years are doubles (halves and whole numbers, so their sums are exact),
-- deaths bigints: a decimal or hugeint sum is several times slower to scan and sum downstream. Units are
-- geo_keys of int_facts__geo_units: the table is written and scanned several times faster than with codes.
with

bands as (
    select
        age,
        life_table_band
    from {{ ref('int_mortality__age_bands_by_age') }}
),

-- The fact pass has summed population and deaths to unit keys and to bands that nest in the life-table bands.
facts as (
    select
        series.source,
        facts.year,
        facts.unit_key,
        facts.sex,
        facts.band_lo,
        facts.count_value
    from {{ ref('int_facts__by_zone') }} as facts
    inner join {{ ref('int_facts__series') }} as series on facts.series_key = series.series_key
    where
        (series.source = 'population' and series.measure = 'persons')
        or (series.source = 'deaths' and series.measure = 'deaths')
),

unit_geo_keys as (
    select
        unit_key,
        land_geo_key,
        fylke_geo_key,
        kommune_geo_key,
        bydel_geo_key,
        levekarssone_geo_key
    from {{ ref('int_facts__unit_geo_keys') }}
),

{%- for source, measure in [('population', 'persons'), ('deaths', 'deaths')] %}

{{ source }}_by_band as materialized (
    select
        facts.year,
        facts.unit_key,
        facts.sex,
        bands.life_table_band,
        cast(sum(facts.count_value) as bigint) as {{ measure }}
    from facts
    inner join bands on facts.band_lo = bands.age
    where facts.source = '{{ source }}'
    group by all
),
{%- endfor %}

population_years as (
    select
        years.year,
        years.year + 1 in (select next_years.year from population_by_band as next_years) as has_next_year,
        years.year - 1 in (select previous_years.year from population_by_band as previous_years)
            as has_previous_year
    from (select distinct population_by_band.year from population_by_band) as years
),

-- Each 1 January count is half of its own year's exposure and half of the year before's; the last year's
-- count is all of its own year's exposure.
exposure_parts as (
    select
        population_by_band.year,
        population_by_band.unit_key,
        population_by_band.sex,
        population_by_band.life_table_band,
        cast(case when population_years.has_next_year then 0.5 else 1.0 end * population_by_band.persons as double)
            as person_years,
        cast(0 as bigint) as deaths
    from population_by_band
    inner join population_years on population_by_band.year = population_years.year
    union all
    select
        population_by_band.year - 1 as year,
        population_by_band.unit_key,
        population_by_band.sex,
        population_by_band.life_table_band,
        cast(0.5 * population_by_band.persons as double) as person_years,
        cast(0 as bigint) as deaths
    from population_by_band
    inner join population_years on population_by_band.year = population_years.year
    where population_years.has_previous_year
    union all
    select
        deaths_by_band.year,
        deaths_by_band.unit_key,
        deaths_by_band.sex,
        deaths_by_band.life_table_band,
        cast(0 as double) as person_years,
        deaths_by_band.deaths
    from deaths_by_band
    inner join population_years on deaths_by_band.year = population_years.year
),

by_unit as (
    select
        year,
        unit_key,
        sex,
        life_table_band,
        sum(person_years) as person_years,
        cast(sum(deaths) as bigint) as deaths
    from exposure_parts
    group by all
),

keyed_with_both_sexes as (
    select
        year,
        unit_key,
        sex,
        life_table_band,
        person_years,
        deaths
    from by_unit
    union all
    select
        year,
        unit_key,
        '0' as sex,
        life_table_band,
        sum(person_years) as person_years,
        cast(sum(deaths) as bigint) as deaths
    from by_unit
    group by all
),

with_geo_keys as materialized (
    select
        keyed_with_both_sexes.year,
        keyed_with_both_sexes.sex,
        keyed_with_both_sexes.life_table_band,
        keyed_with_both_sexes.person_years,
        keyed_with_both_sexes.deaths,
        unit_geo_keys.land_geo_key,
        unit_geo_keys.fylke_geo_key,
        unit_geo_keys.kommune_geo_key,
        unit_geo_keys.bydel_geo_key,
        unit_geo_keys.levekarssone_geo_key
    from keyed_with_both_sexes
    inner join unit_geo_keys on keyed_with_both_sexes.unit_key = unit_geo_keys.unit_key
),

by_geography as (
    {{ aggregate_to_geo_levels(
        'with_geo_keys',
        ['year', 'sex', 'life_table_band'],
        {'person_years': 'double', 'deaths': 'bigint'},
    ) }}
)

select * from by_geography
