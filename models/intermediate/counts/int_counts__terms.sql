-- The distinct count series the indicators need (source, measure, subgroup, age group), so that a series
-- used by several indicators, such as all residents, is summed once. Each is keyed by an integer term_key,
-- which int_counts__by_geography stores instead of the four text columns.
with

definitions as (
    select
        numerator_source,
        numerator_measure,
        numerator_subgroup,
        age_group,
        denominator_source,
        denominator_measure,
        denominator_subgroup,
        denominator_age_group
    from {{ ref('int_indicators__definitions') }}
),

age_groups as (
    select
        age_group,
        age_lo,
        age_hi
    from {{ ref('age_groups') }}
),

terms as (
    select
        numerator_source as source,
        numerator_measure as measure,
        numerator_subgroup as subgroup,
        age_group
    from definitions
    union
    select
        denominator_source as source,
        denominator_measure as measure,
        denominator_subgroup as subgroup,
        denominator_age_group as age_group
    from definitions
    where denominator_source is not null
),

final as (
    select
        cast(
            row_number() over (order by terms.source, terms.measure, terms.subgroup, terms.age_group) as integer
        ) as term_key,
        terms.source,
        terms.measure,
        terms.subgroup,
        terms.age_group,
        age_groups.age_lo,
        age_groups.age_hi
    from terms
    inner join age_groups on terms.age_group = age_groups.age_group
)

select * from final
