-- Every (year, grunnkrets code) that occurs in the raw facts, mapped to one grunnkrets of the current geography
-- by following the code changes up to var geography_year (A -> B in 2018, B -> C in 2020, ...). A split takes
-- the split rule's choice (int_geography__code_steps; FF999999 counts in its fylke only); a code that cannot be
-- placed in a current grunnkrets goes to its kommune's unknown code KKKK9999. The fact pass joins on
-- (year, raw code): equality only.
{%- set sources = ['population', 'deaths', 'low_income', 'education', 'benefits', 'crowded_housing',
                   'upper_secondary', 'national_tests'] %}

with recursive

current_codes as (
    select
        grunnkrets_code,
        fylke_code,
        kommune_code,
        bydel_code,
        levekarssone_code
    from {{ ref('int_geography__grunnkretser') }}
    union all
    -- Counts in its fylke and the country only: FF99 is no kommune (units come from KLASS).
    select
        fylke_code || '999999' as grunnkrets_code,
        fylke_code,
        fylke_code || '99' as kommune_code,
        null as bydel_code,
        null as levekarssone_code
    from {{ ref('stg_klass__fylker') }}
    where {{ current_vintage_filter(ref('stg_klass__fylker')) }} and not is_unknown
),

raw_codes as (
    {%- for source in sources %}
    select distinct
        year,
        grunnkrets_code
    from {{ ref('stg_raw__' ~ source) }}
    {%- if not loop.last %}
    union
    {%- endif %}
    {%- endfor %}
),

-- One step per old code and change year (the split rule's choice, int_geography__code_steps);
-- previous_change_year bounds the years in which the old code leads to this step (a code can change more
-- than once).
steps as (
    select
        old_code,
        chosen_code as new_code,
        change_year,
        successors,
        coalesce(
            lag(change_year) over (partition by old_code order by change_year), 0
        ) as previous_change_year
    from {{ ref('int_geography__code_steps') }}
    where split_rank = 1
),

chain as (
    select
        year,
        grunnkrets_code as raw_code,
        grunnkrets_code as code,
        year as valid_year,
        0 as chain_length,
        false as via_split
    from raw_codes
    union all
    select
        chain.year,
        chain.raw_code,
        steps.new_code as code,
        steps.change_year as valid_year,
        chain.chain_length + 1 as chain_length,
        chain.via_split or steps.successors > 1 as via_split
    from chain
    inner join steps
        on
            chain.code = steps.old_code
            and chain.valid_year < steps.change_year
            and chain.valid_year >= steps.previous_change_year
),

final_step as (
    select
        year,
        raw_code,
        code,
        chain_length,
        via_split
    from chain
    qualify row_number() over (partition by year, raw_code order by chain_length desc) = 1
),

placed as (
    select
        final_step.year,
        final_step.raw_code as raw_grunnkrets_code,
        coalesce(exact.grunnkrets_code, kommune_unknown.grunnkrets_code) as grunnkrets_code,
        case
            when final_step.code like '__999999' then 'unknown_in_fylke'
            when exact.grunnkrets_code is null and kommune_unknown.grunnkrets_code is not null
                then 'unknown_in_kommune'
            when final_step.chain_length = 0 then 'current'
            when final_step.via_split then 'split'
            else 'recoded'
        end as recode_rule,
        final_step.chain_length
    from final_step
    left join current_codes as exact on final_step.code = exact.grunnkrets_code
    left join current_codes as kommune_unknown
        on substr(final_step.code, 1, 4) || '9999' = kommune_unknown.grunnkrets_code
),

final as (
    select
        placed.year,
        placed.raw_grunnkrets_code,
        placed.grunnkrets_code,
        current_codes.fylke_code,
        current_codes.kommune_code,
        current_codes.bydel_code,
        current_codes.levekarssone_code,
        placed.recode_rule,
        placed.chain_length
    from placed
    left join current_codes on placed.grunnkrets_code = current_codes.grunnkrets_code
)

select * from final
