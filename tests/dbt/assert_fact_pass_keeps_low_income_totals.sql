-- Conservation through the fact pass: persons with low income summed to units equal the raw file's, year by
-- year, so the crosswalk join and the series keys drop nothing.
with

fact_totals as (
    select
        facts.year,
        sum(facts.count_value) as fact_total
    from {{ ref('int_facts__by_zone') }} as facts
    inner join {{ ref('int_facts__series') }} as series on facts.series_key = series.series_key
    where series.source = 'low_income' and series.measure = 'persons_low_income'
    group by facts.year
),

raw_totals as (
    select
        year,
        sum(persons_low_income) as raw_total
    from {{ ref('stg_raw__low_income') }}
    group by year
)

select
    coalesce(fact_totals.year, raw_totals.year) as year,
    fact_totals.fact_total,
    raw_totals.raw_total
from fact_totals
full outer join raw_totals on fact_totals.year = raw_totals.year
where coalesce(fact_totals.fact_total, 0) <> coalesce(raw_totals.raw_total, 0)
