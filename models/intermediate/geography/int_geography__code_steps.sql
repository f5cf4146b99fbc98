-- The split rule, stated once for the crosswalk and the split report: every grunnkrets code change up to var
-- geography_year, with the residents of its new code in the change year, and per old code and change year the
-- code chosen: the old code itself if it is among the new codes, otherwise the new code with the most residents
-- in the change year (ties by lowest code); where the new codes lie in several kommuner (a kommune split, e.g.
-- Tysfjord 2020), the fylke's unknown code FF999999 instead, so no one is counted in a wrong kommune.
with

changes as (
    select
        old_code,
        new_code,
        change_year,
        change_kind,
        derivation
    from {{ ref('stg_klass__grunnkrets_changes') }}
    where change_year <= {{ var('geography_year') }}
),

population as (
    select
        year,
        grunnkrets_code,
        sum(persons) as persons
    from {{ ref('stg_raw__population') }}
    group by year, grunnkrets_code
),

ranked as (
    select
        changes.old_code,
        changes.new_code,
        changes.change_year,
        changes.change_kind,
        changes.derivation,
        coalesce(new_code_population.persons, 0) as persons_in_change_year,
        old_code_population.persons as persons_before_change,
        count(*) over (partition by changes.old_code, changes.change_year) as successors,
        bool_or(changes.new_code = changes.old_code) over (
            partition by changes.old_code, changes.change_year
        ) as keeps_old_code,
        min(substr(changes.new_code, 1, 4)) over (partition by changes.old_code, changes.change_year)
        <> max(substr(changes.new_code, 1, 4)) over (
            partition by changes.old_code, changes.change_year
        ) as spans_kommuner,
        row_number() over (
            partition by changes.old_code, changes.change_year
            order by
                changes.new_code = changes.old_code desc,
                coalesce(new_code_population.persons, 0) desc,
                changes.new_code
        ) as split_rank
    from changes
    left join population as new_code_population
        on
            changes.change_year = new_code_population.year
            and changes.new_code = new_code_population.grunnkrets_code
    left join population as old_code_population
        on
            changes.change_year - 1 = old_code_population.year
            and changes.old_code = old_code_population.grunnkrets_code
),

final as (
    select
        old_code,
        new_code,
        change_year,
        change_kind,
        derivation,
        persons_in_change_year,
        persons_before_change,
        successors,
        split_rank,
        first_value(
            case
                when spans_kommuner and not keeps_old_code then substr(new_code, 1, 2) || '999999'
                else new_code
            end
        ) over (partition by old_code, change_year order by split_rank) as chosen_code
    from ranked
)

select * from final
