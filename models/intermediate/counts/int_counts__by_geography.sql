-- Every count series the indicators need, summed from grunnkrets to every level by one macro, per year and
-- sex (0 = both). Facts without age (school, housing) count in every age group of their series.
with

facts as (
    select
        source,
        measure,
        subgroup,
        year,
        grunnkrets_code,
        sex,
        age,
        count_value
    from {{ ref('int_facts__long') }}
),

terms as (
    select
        source,
        measure,
        subgroup,
        age_group,
        age_lo,
        age_hi
    from {{ ref('int_counts__terms') }}
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

by_zone as (
    select
        terms.source,
        terms.measure,
        terms.subgroup,
        terms.age_group,
        facts.year,
        grunnkretser.fylke_code,
        grunnkretser.kommune_code,
        grunnkretser.bydel_code,
        grunnkretser.levekarssone_code,
        facts.sex,
        sum(facts.count_value) as count_value
    from facts
    inner join terms
        on
            facts.source = terms.source
            and facts.measure = terms.measure
            and facts.subgroup = terms.subgroup
            and (facts.age is null or facts.age between terms.age_lo and terms.age_hi)
    inner join grunnkretser on facts.grunnkrets_code = grunnkretser.grunnkrets_code
    group by all
),

with_both_sexes as (
    select
        source,
        measure,
        subgroup,
        age_group,
        year,
        fylke_code,
        kommune_code,
        bydel_code,
        levekarssone_code,
        sex,
        count_value
    from by_zone
    union all
    select
        source,
        measure,
        subgroup,
        age_group,
        year,
        fylke_code,
        kommune_code,
        bydel_code,
        levekarssone_code,
        '0' as sex,
        sum(count_value) as count_value
    from by_zone
    where sex <> '0'
    group by all
),

by_geography as (
    {{ aggregate_to_geo_levels(
        'with_both_sexes',
        ['source', 'measure', 'subgroup', 'age_group', 'year', 'sex'],
        ['count_value'],
    ) }}
)

select * from by_geography
