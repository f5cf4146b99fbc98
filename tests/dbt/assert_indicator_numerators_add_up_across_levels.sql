-- Comparability: every level of an indicator comes from the same grunnkrets base through the same model, so
-- the period numerators and denominators of kommuner add up to their fylke and those of fylker to land. A fylke
-- whose facts include its unknown code FF999999 (a split across kommuner) in a period's years holds more than
-- its kommuner then: that fylke and period are left to assert_kommuner_add_up_to_fylke_and_fylker_to_land, which
-- counts the unknown code as a kommune.
with

sums as (
    select
        indicator_id,
        age_group,
        period_start,
        period_end,
        geo_level,
        geo_code,
        sex,
        numerator,
        denominator
    from {{ ref('int_indicators__values') }}
    where geo_level in ('land', 'fylke', 'kommune')
),

fylke_unknown_years as (
    select distinct
        year,
        fylke_code
    from {{ ref('int_geography__crosswalk') }}
    where recode_rule = 'unknown_in_fylke'
),

children as (
    select
        indicator_id,
        age_group,
        period_start,
        period_end,
        sex,
        case geo_level when 'kommune' then 'fylke' else 'land' end as parent_level,
        case geo_level when 'kommune' then substr(geo_code, 1, 2) else '0' end as parent_code,
        sum(numerator) as child_numerator,
        sum(denominator) as child_denominator
    from sums
    where geo_level in ('kommune', 'fylke')
    group by all
)

select
    children.indicator_id,
    children.age_group,
    children.period_start,
    children.sex,
    children.parent_level,
    children.parent_code,
    children.child_numerator,
    parents.numerator as parent_numerator,
    children.child_denominator,
    parents.denominator as parent_denominator
from children
inner join sums as parents
    on
        children.indicator_id = parents.indicator_id
        and children.age_group = parents.age_group
        and children.period_start = parents.period_start
        and children.sex = parents.sex
        and children.parent_level = parents.geo_level
        and children.parent_code = parents.geo_code
where
    not exists (
        select 1
        from fylke_unknown_years
        where
            children.parent_level = 'fylke'
            and fylke_unknown_years.fylke_code = children.parent_code
            and fylke_unknown_years.year between children.period_start and children.period_end
    )
    and (
        children.child_numerator <> parents.numerator
        or children.child_denominator is distinct from parents.denominator
    )
