-- The indicator catalogue as published, with the age groups each indicator is given for.
with

catalogue as (
    select
        indicator_id,
        name_nb,
        name_en,
        numerator_source,
        numerator_definition,
        denominator_source,
        denominator_definition,
        unit,
        multiplier,
        method,
        period_years,
        polarity,
        sexes,
        small_area_sexes,
        numerator_limit,
        denominator_limit,
        description
    from {{ ref('indicator_catalogue') }}
),

age_groups_by_indicator as (
    select
        indicator_age_groups.indicator_id,
        string_agg(indicator_age_groups.age_group, ' ' order by age_groups.age_lo, age_groups.age_hi) as age_groups
    from {{ ref('indicator_age_groups') }} as indicator_age_groups
    inner join {{ ref('age_groups') }} as age_groups
        on indicator_age_groups.age_group = age_groups.age_group
    group by indicator_age_groups.indicator_id
),

final as (
    select
        catalogue.indicator_id,
        catalogue.name_nb,
        catalogue.name_en,
        catalogue.numerator_source,
        catalogue.numerator_definition,
        catalogue.denominator_source,
        catalogue.denominator_definition,
        catalogue.unit,
        cast(catalogue.multiplier as double) as multiplier,
        catalogue.method,
        catalogue.period_years,
        catalogue.polarity,
        catalogue.sexes,
        catalogue.small_area_sexes,
        age_groups_by_indicator.age_groups,
        catalogue.numerator_limit,
        catalogue.denominator_limit,
        catalogue.description
    from catalogue
    left join age_groups_by_indicator on catalogue.indicator_id = age_groups_by_indicator.indicator_id
)

select * from final
