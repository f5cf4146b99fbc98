-- Internal QC, never published: every grunnkrets split the crosswalk applied (one old code, several new codes),
-- the code the split rule chose (FF999999 where the new codes lie in several kommuner) and the residents who may
-- be counted in the wrong zone for the years before the change: those of the other new codes in the change year.
with

successors as (
    select
        old_code,
        new_code,
        change_year,
        derivation,
        persons_in_change_year,
        persons_before_change,
        split_rank,
        chosen_code
    from {{ ref('int_geography__code_steps') }}
    where successors > 1
),

report as (
    select
        old_code,
        change_year,
        max(derivation) as derivation,
        string_agg(new_code, ',' order by new_code) as new_codes,
        max(chosen_code) as chosen_code,
        sum(persons_in_change_year) as persons_in_change_year,
        sum(case when split_rank > 1 then persons_in_change_year else 0 end) as persons_possibly_misplaced,
        max(persons_before_change) as persons_before_change
    from successors
    group by old_code, change_year
)

select * from report
