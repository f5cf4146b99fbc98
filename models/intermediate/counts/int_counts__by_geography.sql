-- Every count series the indicators need, summed to every level by one macro, per year and sex (0 = both).
-- An age group is the sum of the elementary bands inside it; facts without age count in every age group.
-- Keyed by integers (term_key of int_counts__terms, geo_key of int_facts__geo_units): the indicator models
-- join the codes after their sums.
with

terms as (
    select
        terms.term_key,
        series.series_key,
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

with_both_sexes as (
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

with_geo_keys as materialized (
    select
        with_both_sexes.term_key,
        with_both_sexes.year,
        with_both_sexes.sex,
        with_both_sexes.count_value,
        unit_geo_keys.land_geo_key,
        unit_geo_keys.fylke_geo_key,
        unit_geo_keys.kommune_geo_key,
        unit_geo_keys.bydel_geo_key,
        unit_geo_keys.levekarssone_geo_key
    from with_both_sexes
    inner join unit_geo_keys on with_both_sexes.unit_key = unit_geo_keys.unit_key
),

by_geography as (
    {{ aggregate_to_geo_levels(
        'with_geo_keys',
        ['term_key', 'year', 'sex'],
        {'count_value': 'bigint'},
    ) }}
)

select * from by_geography
