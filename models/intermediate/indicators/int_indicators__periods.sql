-- The rolling periods of every indicator: every window of the catalogue's period length inside the years
-- its data cover. years_in_data counts the window's years that have national data for both numerator and
-- denominator; a window with fewer than period_years of them is flagged (spv_flag 1) downstream. Count, share
-- and rate indicators carry the terms (int_counts__terms) of their numerator and denominator.
with

catalogue as (
    select
        indicator_id,
        method,
        period_years
    from {{ ref('indicator_catalogue') }}
),

definitions as (
    select
        indicator_id,
        age_group,
        numerator_source,
        numerator_measure,
        numerator_subgroup,
        denominator_source,
        denominator_measure,
        denominator_subgroup,
        denominator_age_group
    from {{ ref('int_indicators__definitions') }}
),

terms as (
    select
        term_key,
        source,
        measure,
        subgroup,
        age_group
    from {{ ref('int_counts__terms') }}
),

-- The count series (terms of int_counts__terms) of each count, share and rate indicator's numerator and
-- denominator: the period sums read them from here.
definition_terms as (
    select
        definitions.indicator_id,
        definitions.age_group,
        numerator_terms.term_key as numerator_term_key,
        denominator_terms.term_key as denominator_term_key
    from definitions
    inner join terms as numerator_terms
        on
            definitions.numerator_source = numerator_terms.source
            and definitions.numerator_measure = numerator_terms.measure
            and definitions.numerator_subgroup = numerator_terms.subgroup
            and definitions.age_group = numerator_terms.age_group
    left join terms as denominator_terms
        on
            definitions.denominator_source = denominator_terms.source
            and definitions.denominator_measure = denominator_terms.measure
            and definitions.denominator_subgroup = denominator_terms.subgroup
            and definitions.denominator_age_group = denominator_terms.age_group
),

national_years as (
    select distinct
        counts.term_key,
        counts.year
    from {{ ref('int_counts__by_geography') }} as counts
    inner join {{ ref('int_facts__geo_units') }} as geo_units on counts.geo_key = geo_units.geo_key
    where geo_units.geo_level = 'land'
),

rate_indicator_years as (
    select
        definition_terms.indicator_id,
        definition_terms.age_group,
        numerator_years.year
    from definition_terms
    inner join national_years as numerator_years on definition_terms.numerator_term_key = numerator_years.term_key
    left join national_years as denominator_years
        on
            definition_terms.denominator_term_key = denominator_years.term_key
            and numerator_years.year = denominator_years.year
    where definition_terms.denominator_term_key is null or denominator_years.year is not null
),

mortality_years as (
    select distinct by_age_band.year
    from {{ ref('int_mortality__by_age_band') }} as by_age_band
    inner join {{ ref('int_facts__geo_units') }} as geo_units on by_age_band.geo_key = geo_units.geo_key
    where geo_units.geo_level = 'land' and by_age_band.deaths > 0
),

mortality_indicator_years as (
    select
        catalogue.indicator_id,
        indicator_age_groups.age_group,
        mortality_years.year
    from catalogue
    inner join {{ ref('indicator_age_groups') }} as indicator_age_groups
        on catalogue.indicator_id = indicator_age_groups.indicator_id
    cross join mortality_years
    where catalogue.method in ('dsr', 'isr', 'life_table')
),

indicator_years as (
    select
        indicator_id,
        age_group,
        year
    from rate_indicator_years
    union all
    select
        indicator_id,
        age_group,
        year
    from mortality_indicator_years
),

year_spans as (
    select
        indicator_years.indicator_id,
        indicator_years.age_group,
        catalogue.period_years,
        min(indicator_years.year) as first_year,
        max(indicator_years.year) as last_year
    from indicator_years
    inner join catalogue on indicator_years.indicator_id = catalogue.indicator_id
    group by all
),

periods as (
    select
        year_spans.indicator_id,
        year_spans.age_group,
        cast(starts.period_start as integer) as period_start,
        cast(starts.period_start + year_spans.period_years - 1 as integer) as period_end
    from year_spans,
        unnest(generate_series(year_spans.first_year, year_spans.last_year - year_spans.period_years + 1))
            as starts (period_start)
),

final as (
    select
        periods.indicator_id,
        periods.age_group,
        periods.period_start,
        periods.period_end,
        definition_terms.numerator_term_key,
        definition_terms.denominator_term_key,
        count(indicator_years.year) as years_in_data
    from periods
    left join indicator_years
        on
            periods.indicator_id = indicator_years.indicator_id
            and periods.age_group = indicator_years.age_group
            and indicator_years.year between periods.period_start and periods.period_end
    left join definition_terms
        on
            periods.indicator_id = definition_terms.indicator_id
            and periods.age_group = definition_terms.age_group
    group by all
)

select * from final
