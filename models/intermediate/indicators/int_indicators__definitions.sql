-- One row per indicator and age group: which counts make its numerator and denominator, and its method.
-- Everything here comes from the seeds indicator_catalogue, indicator_age_groups and age_groups.
with

catalogue as (
    select
        indicator_id,
        numerator_source,
        numerator_measure,
        coalesce(numerator_subgroup, '') as numerator_subgroup,
        denominator_source,
        denominator_measure,
        coalesce(denominator_subgroup, '') as denominator_subgroup,
        denominator_age_group,
        sexes,
        unit,
        multiplier,
        method,
        period_years,
        polarity,
        numerator_limit,
        denominator_limit
    from {{ ref('indicator_catalogue') }}
),

age_groups as (
    select
        age_group,
        age_lo,
        age_hi
    from {{ ref('age_groups') }}
),

indicator_age_groups as (
    select
        indicator_id,
        age_group
    from {{ ref('indicator_age_groups') }}
),

definitions as (
    select
        catalogue.indicator_id,
        indicator_age_groups.age_group,
        numerator_ages.age_lo,
        numerator_ages.age_hi,
        catalogue.numerator_source,
        catalogue.numerator_measure,
        catalogue.numerator_subgroup,
        catalogue.denominator_source,
        catalogue.denominator_measure,
        catalogue.denominator_subgroup,
        case
            when catalogue.denominator_source is not null
                then coalesce(catalogue.denominator_age_group, indicator_age_groups.age_group)
        end as denominator_age_group,
        catalogue.sexes,
        catalogue.unit,
        catalogue.multiplier,
        catalogue.method,
        catalogue.period_years,
        catalogue.polarity,
        catalogue.numerator_limit,
        catalogue.denominator_limit
    from catalogue
    inner join indicator_age_groups on catalogue.indicator_id = indicator_age_groups.indicator_id
    inner join age_groups as numerator_ages on indicator_age_groups.age_group = numerator_ages.age_group
    where catalogue.method in ('count', 'share', 'rate')
)

select * from definitions
