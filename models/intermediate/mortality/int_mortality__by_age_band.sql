-- Deaths and person-years by year, unit (every level), sex (0 = both) and life-table age band: the base of
-- standardised mortality and life expectancy. Person-years of a year are the mean of the population on
-- 1 January of the year and of the next year (middelfolkemengde); where the next 1 January is not in the
-- data, the year's own 1 January.
with

bands as (
    select
        age_lo,
        age_hi,
        life_table_band
    from {{ ref('mortality_age_bands') }}
),

grunnkretser as (
    select
        grunnkrets_code,
        fylke_code,
        kommune_code,
        bydel_code,
        levekarssone_code
    from {{ ref('int_geography__grunnkretser') }}
),

population as (
    select
        year,
        grunnkrets_code,
        sex,
        age,
        persons
    from {{ ref('stg_raw__population') }}
),

deaths as (
    select
        year,
        grunnkrets_code,
        sex,
        age,
        deaths
    from {{ ref('stg_raw__deaths') }}
),

population_years as (
    select distinct year
    from population
),

-- Each 1 January count serves as the start of its own year and as the end of the year before.
population_as_exposure as (
    select
        population.year,
        population.grunnkrets_code,
        population.sex,
        population.age,
        case
            when exists (select 1 from population_years as next_year where next_year.year = population.year + 1)
                then 0.5 * population.persons
            else population.persons
        end as person_years,
        0 as deaths
    from population
    union all
    select
        population.year - 1 as year,
        population.grunnkrets_code,
        population.sex,
        population.age,
        0.5 * population.persons as person_years,
        0 as deaths
    from population
    where exists (select 1 from population_years as previous_year where previous_year.year = population.year - 1)
),

deaths_as_events as (
    select
        year,
        grunnkrets_code,
        sex,
        age,
        0 as person_years,
        deaths
    from deaths
),

by_zone as (
    select
        exposure.year,
        grunnkretser.fylke_code,
        grunnkretser.kommune_code,
        grunnkretser.bydel_code,
        grunnkretser.levekarssone_code,
        exposure.sex,
        bands.life_table_band,
        sum(exposure.person_years) as person_years,
        sum(exposure.deaths) as deaths
    from (
        select
            year,
            grunnkrets_code,
            sex,
            age,
            person_years,
            deaths
        from population_as_exposure
        union all
        select
            year,
            grunnkrets_code,
            sex,
            age,
            person_years,
            deaths
        from deaths_as_events
    ) as exposure
    inner join grunnkretser on exposure.grunnkrets_code = grunnkretser.grunnkrets_code
    inner join bands on exposure.age between bands.age_lo and bands.age_hi
    where exposure.year in (select population_years.year from population_years)
    group by all
),

with_both_sexes as (
    select
        year,
        fylke_code,
        kommune_code,
        bydel_code,
        levekarssone_code,
        sex,
        life_table_band,
        person_years,
        deaths
    from by_zone
    union all
    select
        year,
        fylke_code,
        kommune_code,
        bydel_code,
        levekarssone_code,
        '0' as sex,
        life_table_band,
        sum(person_years) as person_years,
        sum(deaths) as deaths
    from by_zone
    group by all
),

by_geography as (
    {{ aggregate_to_geo_levels(
        'with_both_sexes',
        ['year', 'sex', 'life_table_band'],
        ['person_years', 'deaths'],
    ) }}
)

select * from by_geography
