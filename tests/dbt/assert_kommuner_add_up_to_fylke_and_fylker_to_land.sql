-- Every level is summed from the same grunnkrets rows, so kommuner add up to their fylke and fylker to land
-- exactly, for every count series, year, sex and age group.
with

counts as (
    select
        source,
        measure,
        subgroup,
        age_group,
        year,
        geo_level,
        geo_code,
        sex,
        count_value
    from {{ ref('int_counts__by_geography') }}
),

children as (
    select
        source,
        measure,
        subgroup,
        age_group,
        year,
        sex,
        case geo_level when 'kommune' then 'fylke' else 'land' end as parent_level,
        case geo_level when 'kommune' then substr(geo_code, 1, 2) else '0' end as parent_code,
        sum(count_value) as child_total
    from counts
    where geo_level in ('kommune', 'fylke')
    group by all
)

select
    children.source,
    children.measure,
    children.subgroup,
    children.age_group,
    children.year,
    children.sex,
    children.parent_level,
    children.parent_code,
    children.child_total,
    parents.count_value as parent_total
from children
left join counts as parents
    on
        children.source = parents.source
        and children.measure = parents.measure
        and children.subgroup = parents.subgroup
        and children.age_group = parents.age_group
        and children.year = parents.year
        and children.sex = parents.sex
        and children.parent_level = parents.geo_level
        and children.parent_code = parents.geo_code
where parents.count_value is distinct from children.child_total
