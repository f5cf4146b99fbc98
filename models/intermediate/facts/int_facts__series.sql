-- The count series the facts are summed for, each with an integer key: every (source, measure, subgroup)
-- of the catalogue's indicators, and the population and deaths that mortality reads. A raw series that no
-- indicator uses (a benefit outside the catalogue) is not summed at all.
with

catalogue_series as (
    select distinct
        source,
        measure,
        subgroup
    from {{ ref('int_counts__terms') }}
),

mortality_series as (
    select
        'population' as source,
        'persons' as measure,
        '' as subgroup
    union all
    select
        'deaths' as source,
        'deaths' as measure,
        '' as subgroup
),

series as (
    select
        source,
        measure,
        subgroup
    from catalogue_series
    union
    select
        source,
        measure,
        subgroup
    from mortality_series
),

final as (
    select
        cast(row_number() over (order by source, measure, subgroup) as integer) as series_key,
        source,
        measure,
        subgroup
    from series
)

select * from final
