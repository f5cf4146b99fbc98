"""End-to-end checks of the published database against numbers computed another way.

The expected figures are summed here in plain Python from the raw Parquet files and the seed CSVs, without
DuckDB or dbt, so a mistake in the SQL cannot hide behind the same mistake in the check.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import SEEDS_DIR, PipelineRun, new_run, run_pipeline
from recoding_reference import Recoder

AGE_GROUPS = {"0_120": (0, 120), "0_17": (0, 17), "18_66": (18, 66), "67_120": (67, 120), "80_120": (80, 120)}


def read_seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS_DIR / "klass" / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def zone_table(year: int) -> dict[str, str]:
    """grunnkrets -> zone for one table year, as in the seed (unknown zones KKKK999999 included)."""
    return {row["grunnkrets_code"]: row["levekarssone_code"]
            for row in read_seed("klass_levekarssone_grunnkrets") if int(row["year"]) == year}


def current_zones(geography_year: int) -> dict[str, str]:
    """Per kommune, the newest table not after geography_year (the rule in the README), without unknown zones."""
    by_kommune: dict[str, dict[int, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for row in read_seed("klass_levekarssone_grunnkrets"):
        year = int(row["year"])
        if year <= geography_year:
            by_kommune[row["levekarssone_code"][:4]][year][row["grunnkrets_code"]] = row["levekarssone_code"]
    mapping: dict[str, str] = {}
    for tables in by_kommune.values():
        mapping.update(tables[max(tables)])
    return {gk: zone for gk, zone in mapping.items() if not zone.endswith("999999")}


def multi_zone_zones(mapping: dict[str, str]) -> set[str]:
    zones = set(mapping.values())
    per_kommune = Counter(zone[:4] for zone in zones)
    return {zone for zone in zones if per_kommune[zone[:4]] > 1}


def raw_rows(raw_dir: Path, source: str) -> list[dict]:
    """The raw rows of a source with each code recoded to the current geography (old years use old codes)."""
    population = pq.read_table(raw_dir / "population.parquet").to_pylist()
    rows = population if source == "population" else pq.read_table(raw_dir / f"{source}.parquet").to_pylist()
    return Recoder(population).recode_rows(rows)


def raw_population(raw_dir: Path) -> list[dict]:
    return raw_rows(raw_dir, "population")


def public(run: PipelineRun) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(run.public_db), read_only=True)


def published_counts(con: duckdb.DuckDBPyConnection, level: str) -> dict[tuple[int, str, str], float]:
    rows = con.execute(
        "select period_start, geo_code, sex, value from indicator_values "
        "where indicator_id = 'population' and age_group = '0_120' and geo_level = ?",
        [level],
    ).fetchall()
    return {(year, code, sex): value for year, code, sex, value in rows}


def expected_sums(rows: list[dict], key_of) -> dict[tuple[int, str, str], int]:
    """Persons summed by (year, unit, sex) with sex 0 = both; key_of(grunnkrets) gives the unit or None."""
    sums: dict[tuple[int, str, str], int] = Counter()
    for row in rows:
        unit = key_of(row["grunnkrets"])
        if unit is None:
            continue
        for sex in (row["sex"], "0"):
            sums[(row["year"], unit, sex)] += row["persons"]
    return sums


def test_public_database_holds_only_the_published_tables(small_pipeline: PipelineRun) -> None:
    with public(small_pipeline) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables order by all"
        ).fetchall()
        assert tables == [("main", "geography"), ("main", "indicator_values"), ("main", "indicators")]
        levels = {row[0] for row in con.execute("select distinct geo_level from indicator_values").fetchall()}
        assert levels == {"land", "fylke", "kommune", "bydel", "levekarssone"}
        lengths = {row[0] for row in con.execute("select distinct length(geo_code) from geography").fetchall()}
        assert lengths == {1, 2, 4, 6, 10}


def test_geography_has_every_published_unit(small_pipeline: PipelineRun) -> None:
    mapping = current_zones(2025)
    expected_zones = multi_zone_zones(mapping)
    kommuner = {row["kommune_code"] for row in read_seed("klass_kommuner") if row["kommune_code"] != "9999"}
    fylker = {row["fylke_code"] for row in read_seed("klass_fylker") if row["fylke_code"] != "99"}
    bydeler = {row["bydel_code"] for row in read_seed("klass_bydeler") if not row["bydel_code"].endswith("99")}
    with public(small_pipeline) as con:
        units = defaultdict(set)
        for level, code in con.execute("select geo_level, geo_code from geography").fetchall():
            units[level].add(code)
    assert units["land"] == {"0"}
    assert units["fylke"] == fylker and len(fylker) == 15
    assert units["kommune"] == kommuner and len(kommuner) == 357
    assert units["bydel"] == bydeler and len(bydeler) == 38
    assert units["levekarssone"] == expected_zones
    assert len(expected_zones) == 2010


def test_kommune_fylke_and_land_equal_the_raw_sums(small_pipeline: PipelineRun) -> None:
    rows = raw_population(small_pipeline.raw_dir)
    with public(small_pipeline) as con:
        for level, key_of in (
            ("land", lambda gk: "0"),
            ("fylke", lambda gk: gk[:2]),
            ("kommune", lambda gk: gk[:4]),
        ):
            expected = expected_sums(rows, key_of)
            published = published_counts(con, level)
            assert expected, level
            for key, persons in expected.items():
                assert published[key] == persons, (level, key)
            # Units without residents are published as explicit zeros.
            assert all(value == 0 for key, value in published.items() if key not in expected), level


def test_zones_equal_the_sum_of_their_grunnkretser(small_pipeline: PipelineRun) -> None:
    mapping = current_zones(2025)
    published_zones = multi_zone_zones(mapping)
    expected = expected_sums(raw_population(small_pipeline.raw_dir),
                             lambda gk: mapping.get(gk) if mapping.get(gk) in published_zones else None)
    assert len({key[1] for key in expected}) > 20
    with public(small_pipeline) as con:
        published = published_counts(con, "levekarssone")
    for key, persons in expected.items():
        assert published[key] == persons, key


def test_zone_sums_equal_kommune_less_the_unknown_remainder(small_pipeline: PipelineRun) -> None:
    mapping = current_zones(2025)
    rows = raw_population(small_pipeline.raw_dir)
    remainder = expected_sums(rows, lambda gk: gk[:4] if gk not in mapping else None)
    with public(small_pipeline) as con:
        kommuner = published_counts(con, "kommune")
        zones = published_counts(con, "levekarssone")
    zone_sums: dict[tuple[int, str, str], float] = Counter()
    for (year, zone, sex), value in zones.items():
        zone_sums[(year, zone[:4], sex)] += value
    checked = 0
    for (year, kommune, sex), total in zone_sums.items():
        assert total == kommuner[(year, kommune, sex)] - remainder.get((year, kommune, sex), 0)
        checked += 1
    assert checked > 0


def test_bydel_follows_the_zone_code_where_klass_disagrees(small_pipeline: PipelineRun) -> None:
    """The two real conflicts: KLASS puts 46010422 in 460107 and 50014604 in 500103, their zones say otherwise."""
    mapping = current_zones(2025)
    klass_bydel = {row["grunnkrets_code"]: row["bydel_code"] for row in read_seed("klass_grunnkrets_bydel")}
    conflicts = {gk: (klass_bydel.get(gk), zone[:6]) for gk, zone in mapping.items()
                 if zone[4:6] != "00" and klass_bydel.get(gk) != zone[:6]}
    assert conflicts == {"46010422": ("460107", "460103"), "50014604": ("500103", "500102")}

    def bydel_of(gk: str) -> str | None:
        zone = mapping.get(gk)
        if zone and zone[4:6] != "00":
            return zone[:6]
        bydel = klass_bydel.get(gk)
        return bydel if bydel and not bydel.endswith("99") and not gk.endswith("9999") else None

    expected = expected_sums(raw_population(small_pipeline.raw_dir), bydel_of)
    with public(small_pipeline) as con:
        published = published_counts(con, "bydel")
    assert expected
    for key, persons in expected.items():
        assert published[key] == persons, key


def test_population_shares_are_recomputed_from_counts(small_pipeline: PipelineRun) -> None:
    rows = raw_population(small_pipeline.raw_dir)
    numerators: dict[tuple[int, str, str], int] = Counter()
    totals: dict[tuple[int, str], int] = Counter()
    for row in rows:
        kommune = row["grunnkrets"][:4]
        for sex in (row["sex"], "0"):
            totals[(row["year"], kommune, sex)] += row["persons"]
            for group, (lo, hi) in AGE_GROUPS.items():
                if lo <= row["age"] <= hi:
                    numerators[(row["year"], kommune, sex, group)] += row["persons"]
    with public(small_pipeline) as con:
        shares = con.execute(
            "select period_start, geo_code, sex, age_group, numerator, denominator, value, spv_flag "
            "from indicator_values where indicator_id = 'population_share' and geo_level = 'kommune'"
        ).fetchall()
    checked = 0
    for year, kommune, sex, group, numerator, denominator, value, spv_flag in shares:
        total = totals.get((year, kommune, sex), 0)
        if total == 0:
            assert spv_flag == 2 and value is None and numerator is None and denominator is None
            continue
        expected_numerator = numerators.get((year, kommune, sex, group), 0)
        assert (numerator, denominator) == (expected_numerator, total)
        assert value == pytest.approx(100 * expected_numerator / total, rel=1e-12)
        checked += 1
    assert checked > 0


def test_nothing_is_shown_when_flagged(small_pipeline: PipelineRun) -> None:
    with public(small_pipeline) as con:
        leaked = con.execute(
            "select count(*) from indicator_values where spv_flag > 0 and "
            "(value is not null or numerator is not null or denominator is not null "
            "or ci_lower is not null or ci_upper is not null)"
        ).fetchone()[0]
    assert leaked == 0


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_bad_input_stops_the_build_and_keeps_the_release(
    small_pipeline: PipelineRun, tmp_path: Path
) -> None:
    """A negative count: the build fails naming the source, the rule and the row; the release is untouched."""
    bad_raw = tmp_path / "raw"
    bad_raw.mkdir()
    for source in small_pipeline.raw_dir.glob("*.parquet"):
        (bad_raw / source.name).write_bytes(source.read_bytes())
    duckdb.sql(
        f"copy (select year, grunnkrets, sex, age, case when row_number() over () = 1 then -7 else persons end "
        f"as persons from read_parquet('{small_pipeline.raw_dir / 'population.parquet'}')) "
        f"to '{bad_raw / 'population.parquet'}' (format parquet)"
    )
    run = new_run(tmp_path, bad_raw)
    run.public_db.parent.mkdir(parents=True)
    run.public_db.write_bytes(small_pipeline.public_db.read_bytes())
    before = file_digest(run.public_db)
    result = run_pipeline(run)
    assert result.returncode == 1
    assert "source population: rule in_range_stg_raw__population_persons" in result.stderr
    assert "-7" in result.stderr
    assert file_digest(run.public_db) == before


def test_geography_year_2026_and_approved_scope(small_pipeline: PipelineRun, small_raw_dir: Path,
                                               tmp_path: Path) -> None:
    """With the 2026 table and scope 'approved', zones are published for the approved kommuner only,
    in their 2026 division; every year, old codes included, is re-mapped to the 2026 zones, and nothing else
    changes (kommune figures equal those of geography year 2025)."""
    run = new_run(tmp_path, small_raw_dir)
    result = run_pipeline(run, "--vars", '{"geography_year": 2026, "levekarssone_scope": "approved"}')
    assert result.returncode == 0, result.stdout[-3000:]
    with open(SEEDS_DIR / "config" / "levekarssone_approvals.csv", encoding="utf-8") as handle:
        approved = {row["kommune_code"] for row in csv.DictReader(handle) if row["approved_date"] <= "2026-01-01"}
    expected = {zone for zone in multi_zone_zones(current_zones(2026)) if zone[:4] in approved}
    assert expected == multi_zone_zones(zone_table(2026))
    with public(run) as con:
        zones = {row[0] for row in con.execute(
            "select geo_code from geography where geo_level = 'levekarssone'").fetchall()}
    assert zones == expected
    mapping = current_zones(2026)
    expected_zone_counts = expected_sums(raw_population(small_raw_dir),
                                         lambda gk: mapping[gk] if mapping.get(gk) in expected else None)
    with public(run) as con:
        zone_counts = published_counts(con, "levekarssone")
        kommune_counts = published_counts(con, "kommune")
    with public(small_pipeline) as con:
        kommune_counts_2025 = published_counts(con, "kommune")
    # Zones of kommuner outside the small demo are published with 0 residents.
    assert {key: value for key, value in zone_counts.items() if value} == expected_zone_counts
    assert {year for year, _, _ in expected_zone_counts} == set(range(2010, 2025))
    assert kommune_counts == kommune_counts_2025


def standard_band(age: int) -> int:
    return min(age // 5 * 5, 90)


def mortality_by_band(raw_dir: Path, unit_of) -> tuple[dict, dict, list[int]]:
    """Person-years and deaths by (unit, year, sex, 5-year band), computed in plain Python."""
    population = raw_population(raw_dir)
    deaths = raw_rows(raw_dir, "deaths")
    years = sorted({row["year"] for row in population})
    person_years: dict = Counter()
    for row in population:
        unit = unit_of(row["grunnkrets"])
        band = standard_band(row["age"])
        if row["year"] + 1 in years:
            person_years[(unit, row["year"], row["sex"], band)] += 0.5 * row["persons"]
        else:
            person_years[(unit, row["year"], row["sex"], band)] += row["persons"]
        if row["year"] - 1 in years:
            person_years[(unit, row["year"] - 1, row["sex"], band)] += 0.5 * row["persons"]
    death_counts: dict = Counter()
    for row in deaths:
        death_counts[(unit_of(row["grunnkrets"]), row["year"], row["sex"], standard_band(row["age"]))] += row["deaths"]
    return person_years, death_counts, years


def poisson_limits(observed: float) -> tuple[float, float]:
    from scipy.stats import chi2, norm

    if observed < 10:
        lower = 0.0 if observed == 0 else chi2.ppf(0.025, 2 * observed) / 2
        return lower, chi2.ppf(0.975, 2 * observed + 2) / 2
    z = norm.ppf(0.975)
    lower = observed * (1 - 1 / (9 * observed) - z / (3 * observed**0.5)) ** 3
    upper = (observed + 1) * (1 - 1 / (9 * (observed + 1)) + z / (3 * (observed + 1) ** 0.5)) ** 3
    return lower, upper


@pytest.mark.parametrize("kommune", ["1103", "3301"])
def test_standardised_mortality_recomputed_by_hand(small_pipeline: PipelineRun, kommune: str) -> None:
    """DSR with Dobson's interval and SMR with Poisson limits for a kommune, 2022-2024, each sex."""
    person_years, deaths, years = mortality_by_band(small_pipeline.raw_dir, lambda gk: gk[:4])
    national_py, national_deaths, _ = mortality_by_band(small_pipeline.raw_dir, lambda gk: "0")
    period = [2022, 2023, 2024]
    bands = range(0, 95, 5)
    standard = Counter()
    for row in raw_population(small_pipeline.raw_dir):
        if row["year"] == 2024:
            standard[standard_band(row["age"])] += row["persons"]
    total_weight = sum(standard.values())

    def sums(table: dict, unit: str, sexes: tuple[str, ...], band: int) -> float:
        return sum(table.get((unit, year, sex, band), 0) for year in period for sex in sexes)

    with public(small_pipeline) as con:
        published = {
            (row[0], row[1]): row[2:]
            for row in con.execute(
                "select indicator_id, sex, numerator, value, ci_lower, ci_upper from indicator_values "
                "where indicator_id in ('mortality_dsr', 'mortality_smr') and period = '2022_2024' "
                "and geo_level = 'kommune' and geo_code = ?",
                [kommune],
            ).fetchall()
        }
    for sex, sexes in (("0", ("1", "2")), ("1", ("1",)), ("2", ("2",))):
        observed = sum(sums(deaths, kommune, sexes, band) for band in bands)
        rate = sum(standard[b] * sums(deaths, kommune, sexes, b) / sums(person_years, kommune, sexes, b)
                   for b in bands if sums(person_years, kommune, sexes, b) > 0) / total_weight
        variance = sum(standard[b] ** 2 * sums(deaths, kommune, sexes, b) / sums(person_years, kommune, sexes, b) ** 2
                       for b in bands if sums(person_years, kommune, sexes, b) > 0) / total_weight**2
        low, high = poisson_limits(observed)
        numerator, value, ci_lower, ci_upper = published[("mortality_dsr", sex)]
        assert numerator == observed
        assert value == pytest.approx(1e5 * rate, rel=1e-9)
        assert ci_lower == pytest.approx(1e5 * (rate + (variance / observed) ** 0.5 * (low - observed)), rel=1e-9)
        assert ci_upper == pytest.approx(1e5 * (rate + (variance / observed) ** 0.5 * (high - observed)), rel=1e-9)

        expected = sum(
            sums(person_years, kommune, (s,), b) * sums(national_deaths, "0", (s,), b) / sums(national_py, "0", (s,), b)
            for s in sexes for b in bands if sums(national_py, "0", (s,), b) > 0
        )
        numerator, value, ci_lower, ci_upper = published[("mortality_smr", sex)]
        assert value == pytest.approx(100 * observed / expected, rel=1e-9)
        assert ci_lower == pytest.approx(100 * low / expected, rel=1e-9)
        assert ci_upper == pytest.approx(100 * high / expected, rel=1e-9)


def test_low_income_share_and_wilson_interval_for_zones(small_pipeline: PipelineRun) -> None:
    """A 3-year share summed over the period (rate of sums), for every published zone, with Wilson's interval."""
    from scipy.stats import norm

    mapping = current_zones(2025)
    zones = multi_zone_zones(mapping)
    rows = raw_rows(small_pipeline.raw_dir, "low_income")
    numerators: dict = Counter()
    denominators: dict = Counter()
    for row in rows:
        zone = mapping.get(row["grunnkrets"])
        if zone in zones and 2022 <= row["year"] <= 2024:
            numerators[zone] += row["persons_low_income"]
            denominators[zone] += row["persons_in_households"]
    z = norm.ppf(0.975)
    with public(small_pipeline) as con:
        published = {row[0]: row[1:] for row in con.execute(
            "select geo_code, numerator, denominator, value, ci_lower, ci_upper, spv_flag from indicator_values "
            "where indicator_id = 'low_income' and period = '2022_2024' and sex = '0' and age_group = '0_120' "
            "and geo_level = 'levekarssone'").fetchall()}
    shown = 0
    for zone, denominator in denominators.items():
        numerator = numerators[zone]
        got_numerator, got_denominator, value, ci_lower, ci_upper, spv_flag = published[zone]
        if numerator <= 4 or denominator - numerator <= 4 or denominator <= 20:
            assert spv_flag == 3 and value is None and got_numerator is None
            continue
        p = numerator / denominator
        centre = (p + z**2 / (2 * denominator)) / (1 + z**2 / denominator)
        half = z * (p * (1 - p) / denominator + z**2 / (4 * denominator**2)) ** 0.5 / (1 + z**2 / denominator)
        assert (got_numerator, got_denominator, spv_flag) == (numerator, denominator, 0)
        assert value == pytest.approx(100 * p, rel=1e-12)
        assert ci_lower == pytest.approx(100 * (centre - half), rel=1e-9)
        assert ci_upper == pytest.approx(100 * (centre + half), rel=1e-9)
        shown += 1
    assert shown > 20
