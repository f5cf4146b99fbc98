-- Every count series the indicators need, summed to every level by one macro, per year and sex (0 = both).
-- An age group is the sum of the elementary bands inside it; facts without age count in every age group.
-- Keyed by integers (term_key of int_counts__terms, geo_key of int_counts__geo_units): the indicator models
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

geo_units as (
    select
        geo_key,
        geo_level,
        geo_code
    from {{ ref('int_counts__geo_units') }}
),

-- Each unit combination of the facts with the geo_key of its unit at every level.
unit_geo_keys as (
    select
        units.unit_key,
        land.geo_key as land_geo_key,
        fylker.geo_key as fylke_geo_key,
        kommuner.geo_key as kommune_geo_key,
        bydeler.geo_key as bydel_geo_key,
        zones.geo_key as levekarssone_geo_key
    from {{ ref('int_facts__units') }} as units
    inner join geo_units as land on land.geo_level = 'land'
    inner join geo_units as fylker on fylker.geo_level = 'fylke' and units.fylke_code = fylker.geo_code
    inner join geo_units as kommuner on kommuner.geo_level = 'kommune' and units.kommune_code = kommuner.geo_code
    left join geo_units as bydeler on bydeler.geo_level = 'bydel' and units.bydel_code = bydeler.geo_code
    left join geo_units as zones
        on zones.geo_level = 'levekarssone' and units.levekarssone_code = zones.geo_code
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
        geo_keys=true,
    ) }}
)

select * from by_geography
