-- Internal QC, never published: every grunnkrets split the crosswalk applied (one old code, several new codes),
-- the code the split rule chose (FF999999 where the new codes lie in several kommuner) and the residents who may
-- be counted in the wrong zone for the years before the change: those of the other new codes in the change year.
with

changes as (
    select
        old_code,
        new_code,
        change_year,
        derivation
    from {{ ref('stg_klass__grunnkrets_changes') }}
    where change_year <= {{ var('geography_year') }}
),

splits as (
    select
        old_code,
        change_year
    from changes
    group by old_code, change_year
    having count(*) > 1
),

population as (
    select
        year,
        grunnkrets_code,
        sum(persons) as persons
    from {{ ref('stg_raw__population') }}
    group by year, grunnkrets_code
),

successors as (
    select
        changes.old_code,
        changes.change_year,
        changes.new_code,
        changes.derivation,
        coalesce(population.persons, 0) as persons_in_change_year,
        row_number() over (
            partition by changes.old_code, changes.change_year
            order by
                changes.new_code = changes.old_code desc,
                coalesce(population.persons, 0) desc,
                changes.new_code
        ) as split_rank
    from changes
    inner join splits
        on changes.old_code = splits.old_code and changes.change_year = splits.change_year
    left join population
        on changes.change_year = population.year and changes.new_code = population.grunnkrets_code
),

old_code_population as (
    select
        splits.old_code,
        splits.change_year,
        sum(population.persons) as persons_before_change
    from splits
    inner join population
        on splits.old_code = population.grunnkrets_code and population.year = splits.change_year - 1
    group by splits.old_code, splits.change_year
),

report as (
    select
        successors.old_code,
        successors.change_year,
        max(successors.derivation) as derivation,
        string_agg(successors.new_code, ',' order by successors.new_code) as new_codes,
        -- The crosswalk's rule: a split across kommuner goes to the fylke's unknown code, not to any new code.
        case
            when
                min(substr(successors.new_code, 1, 4)) <> max(substr(successors.new_code, 1, 4))
                and not bool_or(successors.new_code = successors.old_code)
                then substr(min(successors.new_code), 1, 2) || '999999'
            else max(case when successors.split_rank = 1 then successors.new_code end)
        end as chosen_code,
        sum(successors.persons_in_change_year) as persons_in_change_year,
        sum(
            case when successors.split_rank > 1 then successors.persons_in_change_year else 0 end
        ) as persons_possibly_misplaced,
        max(old_code_population.persons_before_change) as persons_before_change
    from successors
    left join old_code_population
        on
            successors.old_code = old_code_population.old_code
            and successors.change_year = old_code_population.change_year
    group by successors.old_code, successors.change_year
)

select * from report
