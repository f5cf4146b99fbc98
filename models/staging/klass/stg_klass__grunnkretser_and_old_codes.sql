-- Every grunnkrets code the raw facts may use: the codes of the current geography and every old code the
-- crosswalk knows. The raw facts' code tests check against this list, so an old code is valid input while a
-- code that is neither stops the build.
with

current_codes as (
    select grunnkrets_code
    from {{ ref('stg_klass__grunnkretser') }}
    where {{ current_vintage_filter(ref('stg_klass__grunnkretser')) }}
),

old_codes as (
    select old_code as grunnkrets_code
    from {{ ref('stg_klass__grunnkrets_changes') }}
    where change_year <= {{ var('geography_year') }}
),

known as (
    select grunnkrets_code from current_codes
    union
    select grunnkrets_code from old_codes
)

select * from known
