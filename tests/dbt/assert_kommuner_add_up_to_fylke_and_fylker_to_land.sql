-- Every level is summed from the same grunnkrets rows, so kommuner add up to their fylke and fylker to land
-- exactly, for every count series, year, sex and age group. Sums on the integer keys; codes for failing rows.
with

counts as (
    select
        term_key,
        year,
        geo_key,
        sex,
        count_value
    from {{ ref('int_counts__by_geography') }}
),

geo_units as (
    select
        geo_key,
        geo_level,
        geo_code
    from {{ ref('int_facts__geo_units') }}
),

-- A kommune's parent is the fylke of its first two digits, a fylke's is land; a missing parent unit keeps a
-- NULL key, so its children are reported.
parent_keys as (
    select
        children.geo_key,
        children.geo_level,
        children.geo_code,
        parents.geo_key as parent_geo_key
    from geo_units as children
    left join geo_units as parents
        on
            parents.geo_level = case children.geo_level when 'kommune' then 'fylke' else 'land' end
            and parents.geo_code
            = case children.geo_level when 'kommune' then substr(children.geo_code, 1, 2) else '0' end
    where children.geo_level in ('kommune', 'fylke')
),

children as (
    select
        counts.term_key,
        counts.year,
        counts.sex,
        case parent_keys.geo_level when 'kommune' then 'fylke' else 'land' end as parent_level,
        case parent_keys.geo_level when 'kommune' then substr(parent_keys.geo_code, 1, 2) else '0' end as parent_code,
        parent_keys.parent_geo_key,
        sum(counts.count_value) as child_total
    from counts
    inner join parent_keys on counts.geo_key = parent_keys.geo_key
    group by all
)

select
    terms.source,
    terms.measure,
    terms.subgroup,
    terms.age_group,
    children.year,
    children.sex,
    children.parent_level,
    children.parent_code,
    children.child_total,
    parents.count_value as parent_total
from children
left join counts as parents
    on
        children.term_key = parents.term_key
        and children.year = parents.year
        and children.sex = parents.sex
        and children.parent_geo_key = parents.geo_key
inner join {{ ref('int_counts__terms') }} as terms on children.term_key = terms.term_key
where parents.count_value is distinct from children.child_total
