-- Every count series the indicators need, summed to every level by one macro, per year and sex (0 = both).
-- An age group is the sum of the elementary bands inside it; facts without age count in every age group.
with

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

facts as (
    select
        source,
        measure,
        subgroup,
        year,
        fylke_code,
        kommune_code,
        bydel_code,
        levekarssone_code,
        sex,
        band_lo,
        count_value
    from {{ ref('int_facts__by_zone') }}
),

by_zone as (
    select
        terms.source,
        terms.measure,
        terms.subgroup,
        terms.age_group,
        facts.year,
        facts.fylke_code,
        facts.kommune_code,
        facts.bydel_code,
        facts.levekarssone_code,
        facts.sex,
        cast(sum(facts.count_value) as bigint) as count_value
    from facts
    inner join terms
        on
            facts.source = terms.source
            and facts.measure = terms.measure
            and facts.subgroup = terms.subgroup
            and (facts.band_lo is null or facts.band_lo between terms.age_lo and terms.age_hi)
    group by all
),

with_both_sexes as materialized (
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
        cast(sum(count_value) as bigint) as count_value
    from by_zone
    where sex <> '0'
    group by all
),

by_geography as (
    {{ aggregate_to_geo_levels(
        'with_both_sexes',
        ['source', 'measure', 'subgroup', 'age_group', 'year', 'sex'],
        {'count_value': 'bigint'},
    ) }}
)

select * from by_geography
