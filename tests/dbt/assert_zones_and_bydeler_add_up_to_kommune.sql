-- Zones plus the unknown remainder equal their kommune, and the same for bydeler, for every year and sex.
-- The remainder is recomputed from the staged facts, independently of the aggregation macro.
with

population as (
    select
        counts.year,
        geo_units.geo_level,
        geo_units.geo_code,
        counts.sex,
        counts.count_value as persons
    from {{ ref('int_counts__by_geography') }} as counts
    inner join {{ ref('int_counts__terms') }} as terms on counts.term_key = terms.term_key
    inner join {{ ref('int_facts__geo_units') }} as geo_units on counts.geo_key = geo_units.geo_key
    where terms.source = 'population' and terms.measure = 'persons' and terms.age_group = '0_120'
),

-- Ages summed first: the join then handles a grunnkrets-year-sex row instead of one per age.
raw_persons as (
    select
        year,
        grunnkrets_code,
        sex,
        sum(persons) as persons
    from {{ ref('stg_raw__population') }}
    group by year, grunnkrets_code, sex
),

facts as (
    select
        raw_persons.year,
        grunnkretser.kommune_code,
        grunnkretser.bydel_code,
        grunnkretser.levekarssone_code,
        raw_persons.sex,
        raw_persons.persons
    from raw_persons
    inner join {{ ref('int_geography__crosswalk') }} as grunnkretser
        on raw_persons.year = grunnkretser.year and raw_persons.grunnkrets_code = grunnkretser.raw_grunnkrets_code
),

facts_both_sexes as (
    select
        year,
        kommune_code,
        bydel_code,
        levekarssone_code,
        sex,
        persons
    from facts
    union all
    select
        year,
        kommune_code,
        bydel_code,
        levekarssone_code,
        '0' as sex,
        persons
    from facts
),

remainders as (
    select
        year,
        kommune_code,
        sex,
        sum(case when levekarssone_code is null then persons else 0 end) as outside_zones,
        sum(case when bydel_code is null then persons else 0 end) as outside_bydeler
    from facts_both_sexes
    group by year, kommune_code, sex
),

zone_sums as (
    select
        population.year,
        substr(population.geo_code, 1, 4) as kommune_code,
        population.sex,
        sum(population.persons) as persons
    from population
    where population.geo_level = 'levekarssone'
    group by all
),

bydel_sums as (
    select
        population.year,
        substr(population.geo_code, 1, 4) as kommune_code,
        population.sex,
        sum(population.persons) as persons
    from population
    where population.geo_level = 'bydel'
    group by all
),

kommuner as (
    select
        year,
        geo_code as kommune_code,
        sex,
        persons
    from population
    where geo_level = 'kommune'
)

select
    kommuner.year,
    kommuner.kommune_code,
    kommuner.sex,
    kommuner.persons as kommune_persons,
    zone_sums.persons as zone_persons,
    bydel_sums.persons as bydel_persons,
    remainders.outside_zones,
    remainders.outside_bydeler
from kommuner
left join remainders using (year, kommune_code, sex)
left join zone_sums using (year, kommune_code, sex)
left join bydel_sums using (year, kommune_code, sex)
where
    kommuner.persons <> coalesce(zone_sums.persons, 0) + coalesce(remainders.outside_zones, 0)
    or (
        bydel_sums.persons is not null
        and kommuner.persons <> bydel_sums.persons + coalesce(remainders.outside_bydeler, 0)
    )
