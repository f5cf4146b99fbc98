-- Every count series the indicators need, summed to every level by one macro, per year and sex (0 = both).
-- An age group is the sum of the elementary bands inside it; facts without age count in every age group.
with

-- Each series in each age group is a term, keyed by an integer so that the sums group on integers only.
terms as (
    select
        cast(row_number() over (order by terms.source, terms.measure, terms.subgroup, terms.age_group) as integer)
            as term_key,
        series.series_key,
        terms.source,
        terms.measure,
        terms.subgroup,
        terms.age_group,
        terms.age_lo,
        terms.age_hi
    from {{ ref('int_counts__terms') }} as terms
    inner join {{ ref('int_facts__series') }} as series
        on
            terms.source = series.source
            and terms.measure = series.measure
            and terms.subgroup = series.subgroup
),

facts as (
    select
        series_key,
        year,
        unit_key,
        sex,
        band_lo,
        count_value
    from {{ ref('int_facts__by_zone') }}
),

units as (
    select
        unit_key,
        fylke_code,
        kommune_code,
        bydel_code,
        levekarssone_code
    from {{ ref('int_facts__units') }}
),

by_unit as (
    select
        terms.term_key,
        facts.year,
        facts.unit_key,
        facts.sex,
        cast(sum(facts.count_value) as bigint) as count_value
    from facts
    inner join terms
        on
            facts.series_key = terms.series_key
            and (facts.band_lo is null or facts.band_lo between terms.age_lo and terms.age_hi)
    group by all
),

keyed_with_both_sexes as (
    select
        term_key,
        year,
        unit_key,
        sex,
        count_value
    from by_unit
    union all
    select
        term_key,
        year,
        unit_key,
        '0' as sex,
        cast(sum(count_value) as bigint) as count_value
    from by_unit
    where sex <> '0'
    group by all
),

with_both_sexes as materialized (
    select
        terms.source,
        terms.measure,
        terms.subgroup,
        terms.age_group,
        keyed_with_both_sexes.year,
        units.fylke_code,
        units.kommune_code,
        units.bydel_code,
        units.levekarssone_code,
        keyed_with_both_sexes.sex,
        keyed_with_both_sexes.count_value
    from keyed_with_both_sexes
    inner join terms on keyed_with_both_sexes.term_key = terms.term_key
    inner join units on keyed_with_both_sexes.unit_key = units.unit_key
),

by_geography as (
    {{ aggregate_to_geo_levels(
        'with_both_sexes',
        ['source', 'measure', 'subgroup', 'age_group', 'year', 'sex'],
        {'count_value': 'bigint'},
    ) }}
)

select * from by_geography
