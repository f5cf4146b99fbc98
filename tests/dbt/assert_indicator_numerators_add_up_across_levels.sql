-- Comparability: every level of an indicator comes from the same grunnkrets base through the same model, so
-- the period numerators and denominators of kommuner add up to their fylke and those of fylker to land.
with

sums as (
    select
        indicator_id,
        age_group,
        period_start,
        geo_level,
        geo_code,
        sex,
        numerator,
        denominator
    from {{ ref('int_indicators__period_sums') }}
    where geo_level in ('land', 'fylke', 'kommune')
),

children as (
    select
        indicator_id,
        age_group,
        period_start,
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
    children.child_numerator <> parents.numerator
    or children.child_denominator is distinct from parents.denominator
