"""Unbroken time series (issue #6): the small demo writes old years with the codes valid then (2010-2024:
the Ullensaker 2018 grunnkrets split, the Holmestrand merge of 2018, the 2018/2020/2024 renumberings, the 2020
split of Tysfjord); the published series must be those of today's geography.

Expected numbers are computed here from the raw Parquet files with the few real code changes written out by
hand, not with the crosswalk.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from conftest import SEEDS_DIR, PipelineRun, new_run, run_pipeline

# Kommune codes over time, from the real records (kommune_merges_2016_2018.csv, fylke reforms 2020 and 2024).
# 0702 + 0714 -> 0715 (2018); 0715 + Sande 0713 -> 3802 (2020, derived from grunnkrets names) -> 3903 (2024)
HOLMESTRAND_PREDECESSORS = {"0702", "0713", "0714", "0715", "3802", "3903"}
ULLENSAKER_CODES = {"0235", "3033", "3209"}  # 0235 -> 3033 (2020) -> 3209 (2024)
# The real KLASS record: 02350107 Kløfta øst split on 2018-01-01 into 02350112 Kløfta øst and 02350113 Ullersmo.
SPLIT_OLD, SPLIT_NEW = "02350107", ("02350112", "02350113")


def raw_population(run: PipelineRun) -> list[dict]:
    return pq.read_table(run.raw_dir / "population.parquet").to_pylist()


def published(run: PipelineRun, level: str) -> dict[tuple[int, str], float]:
    with duckdb.connect(str(run.public_db), read_only=True) as con:
        rows = con.execute(
            "select period_start, geo_code, value from indicator_values where indicator_id = 'population' "
            "and age_group = '0_120' and sex = '0' and geo_level = ?", [level]).fetchall()
    return {(year, code): value for year, code, value in rows}


def test_the_demo_uses_old_codes_in_old_years(small_pipeline: PipelineRun) -> None:
    years_by_prefix: dict[str, set[int]] = {}
    for row in raw_population(small_pipeline):
        years_by_prefix.setdefault(row["grunnkrets"][:4], set()).add(row["year"])
    assert years_by_prefix["0235"] == set(range(2010, 2020))
    assert years_by_prefix["3033"] == set(range(2020, 2024))
    assert years_by_prefix["3209"] == {2024}
    assert years_by_prefix["0702"] == years_by_prefix["0714"] == set(range(2010, 2018))
    assert years_by_prefix["1850"] == set(range(2010, 2020))


def test_land_population_is_conserved_by_recoding(small_pipeline: PipelineRun) -> None:
    raw: Counter[int] = Counter()
    for row in raw_population(small_pipeline):
        raw[row["year"]] += row["persons"]
    land = published(small_pipeline, "land")
    kommuner: Counter[int] = Counter()
    for (year, _), value in published(small_pipeline, "kommune").items():
        kommuner[year] += value
    assert sorted(raw) == list(range(2010, 2025))
    for year, persons in raw.items():
        assert land[(year, "0")] == persons, year
        assert kommuner[year] == persons, year


def test_merged_kommune_has_one_series_equal_to_its_predecessors(small_pipeline: PipelineRun) -> None:
    expected: Counter[int] = Counter()
    for row in raw_population(small_pipeline):
        if row["grunnkrets"][:4] in HOLMESTRAND_PREDECESSORS:
            expected[row["year"]] += row["persons"]
    kommune = published(small_pipeline, "kommune")
    series = {year: value for (year, code), value in kommune.items() if code == "3903"}
    assert sorted(series) == list(range(2010, 2025))
    assert series == dict(expected)
    # Before 2018 the series is the sum of the two old kommuner; no old code is published.
    assert not {code for _, code in kommune} & (HOLMESTRAND_PREDECESSORS - {"3903"})
    assert all(value > 20_000 for value in series.values())


def test_renumbered_grunnkrets_keeps_its_zone_series_unbroken(small_pipeline: PipelineRun) -> None:
    """Kløfta (02350104 -> 30330104 in 2020 -> 32090104 in 2024) and its zone, every year 2010-2024."""
    with duckdb.connect(str(small_pipeline.build_db), read_only=True) as con:
        zone = con.execute("select levekarssone_code from intermediate.int_geography__grunnkretser "
                           "where grunnkrets_code = '32090104'").fetchone()[0]
        members = {code for (code,) in con.execute(
            "select grunnkrets_code from intermediate.int_geography__grunnkretser where levekarssone_code = ?",
            [zone]).fetchall()}
    assert zone.startswith("3209")
    rows = raw_population(small_pipeline)
    # The split rule, by hand: 02350107 goes to the part with more residents in 2018.
    in_2018 = Counter(row["grunnkrets"] for row in rows if row["year"] == 2018 and row["grunnkrets"] in SPLIT_NEW)
    chosen = min(SPLIT_NEW, key=lambda code: (-in_2018[code], code))
    expected: Counter[int] = Counter()
    for row in rows:
        code = row["grunnkrets"]
        if code == SPLIT_OLD:
            code = chosen
        if code[:4] in ULLENSAKER_CODES and "3209" + code[4:] in members:
            expected[row["year"]] += row["persons"]
    series = {year: value for (year, code), value in published(small_pipeline, "levekarssone").items()
              if code == zone}
    assert series == dict(expected)
    assert sorted(series) == list(range(2010, 2025))
    # Continuous across the renumberings of 2020 and 2024: a few per cent a year, never a break.
    for year in range(2011, 2025):
        assert abs(series[year] / series[year - 1] - 1) < 0.1, year


def test_split_rule_is_deterministic_and_reports_the_ullensaker_split(small_pipeline: PipelineRun) -> None:
    rows = raw_population(small_pipeline)
    in_2018: Counter[str] = Counter()
    before: Counter[str] = Counter()
    for row in rows:
        if row["year"] == 2018 and row["grunnkrets"] in SPLIT_NEW:
            in_2018[row["grunnkrets"]] += row["persons"]
        if row["year"] == 2017 and row["grunnkrets"] == SPLIT_OLD:
            before[SPLIT_OLD] += row["persons"]
    chosen = min(SPLIT_NEW, key=lambda code: (-in_2018[code], code))
    other = next(code for code in SPLIT_NEW if code != chosen)
    with duckdb.connect(str(small_pipeline.build_db), read_only=True) as con:
        report = con.execute(
            "select new_codes, chosen_code, persons_in_change_year, persons_possibly_misplaced, "
            "persons_before_change from intermediate.int_geography__split_report "
            "where old_code = ? and change_year = 2018", [SPLIT_OLD]).fetchall()
        splits = con.execute("select count(*) from intermediate.int_geography__split_report "
                             "where derivation = 'klass_change_record'").fetchone()[0]
        mapped = con.execute(
            "select distinct grunnkrets_code, recode_rule from intermediate.int_geography__crosswalk "
            "where raw_grunnkrets_code = ? and year < 2018", [SPLIT_OLD]).fetchall()
    assert report == [("02350112,02350113", chosen, in_2018[chosen] + in_2018[other], in_2018[other],
                       before[SPLIT_OLD])]
    # The real sample holds four split grunnkretser (02350107, 02350202, 02350203, 02350205).
    assert splits == 4
    # Every year before the split goes to the same current code: 3209 + the chosen part's last four digits.
    assert mapped == [("3209" + chosen[4:], "split")]
    # The report is internal: never in the public database.
    with duckdb.connect(str(small_pipeline.public_db), read_only=True) as con:
        tables = {name for (name,) in con.execute("select table_name from information_schema.tables").fetchall()}
    assert "int_geography__split_report" not in tables


def test_zone_start_year_hides_the_periods_before_a_population_break(small_pipeline: PipelineRun) -> None:
    """A zone whose population changes by more than 15 % in a year (here: the 2018 split puts a whole old
    grunnkrets into one zone) starts its comparable series that year; earlier periods get spv_flag 1."""
    series: dict[str, dict[int, float]] = {}
    for (year, zone), value in published(small_pipeline, "levekarssone").items():
        series.setdefault(zone, {})[year] = value
    start = {}
    for zone, values in series.items():
        breaks = [year for year in values if year - 1 in values and values[year - 1] > 0
                  and abs(values[year] / values[year - 1] - 1) > 0.15]
        if breaks:
            start[zone] = max(breaks)
    assert start, "the small demo has at least one zone with a break"
    assert set(start.values()) == {2018}
    with duckdb.connect(str(small_pipeline.public_db), read_only=True) as con:
        rows = con.execute(
            "select geo_code, period_start, spv_flag, value from indicator_values join indicators using "
            "(indicator_id) where geo_level = 'levekarssone' and method <> 'count' and geo_code in "
            f"({','.join('?' * len(start))})", list(start)).fetchall()
    before = [row for row in rows if row[1] < start[row[0]]]
    after = [row for row in rows if row[1] >= start[row[0]]]
    assert before and all(flag >= 1 and value is None for _, _, flag, value in before)
    assert any(flag == 0 for _, _, flag, _ in after)


def test_coverage_rule_flags_the_zones_of_kommuner_with_a_large_unknown_share(small_pipeline: PipelineRun) -> None:
    """education_basic_only (ages 30-39, both sexes): unknown share of the kommune's numerator above 8 %, or
    numerator and denominator shares more than 5 points apart, computed from the raw file and the zone seed."""
    from test_pipeline import current_zones, raw_rows

    numerator, denominator = "persons_basic_only", "persons_known_education"
    zones = current_zones(2025)
    kommune: Counter = Counter()
    inside: Counter = Counter()
    for row in raw_rows(small_pipeline.raw_dir, "education"):
        if not 30 <= row["age"] <= 39:
            continue
        for start in range(row["year"] - 2, row["year"] + 1):
            if 2010 <= start <= 2022:
                for measure in (numerator, denominator):
                    kommune[(row["grunnkrets"][:4], start, measure)] += row[measure]
                    if row["grunnkrets"] in zones:
                        inside[(row["grunnkrets"][:4], start, measure)] += row[measure]
    expected = set()
    for (code, start, measure), total in kommune.items():
        if measure != numerator or total == 0:
            continue
        numerator_share = 1 - inside[(code, start, numerator)] / total
        denominator_share = 1 - inside[(code, start, denominator)] / kommune[(code, start, denominator)]
        if numerator_share > 0.08 or abs(numerator_share - denominator_share) > 0.05:
            expected.add((code, start))
    with duckdb.connect(str(small_pipeline.build_db), read_only=True) as con:
        flagged = {(code[:4], start) for code, start in con.execute(
            "select geo_code, period_start from intermediate.int_indicators__recoding_flags "
            "where indicator_id = 'education_basic_only' and age_group = '30_39' and sex = '0' "
            "and recoding_rules like '%coverage%'").fetchall()}
        shown = con.execute(
            "select count(*) from intermediate.int_indicators__suppressed where indicator_id = "
            "'education_basic_only' and age_group = '30_39' and sex = '0' and geo_level = 'levekarssone' "
            "and spv_flag = 0 and (substr(geo_code, 1, 4), period_start) in (select unnest(?), unnest(?))",
            [[c for c, _ in expected], [s for _, s in expected]]).fetchone()[0]
    assert expected
    assert flagged == expected
    assert shown == 0


def test_kommune_split_goes_to_the_fylke_unknown_code(small_raw_dir: Path, tmp_path: Path) -> None:
    """Tysfjord (1850) was split in 2020 between Narvik (1806) and Hamarøy (1875). Its grunnkretser that the code
    history cannot place in one of them count in Nordland (18) and the country through 18999999, never in a
    kommune. The demo writes no one under those codes, so this run adds residents to them by hand: before 2020
    Nordland exceeds the sum of its published kommuner by exactly those residents."""
    successors: dict[str, set[str]] = {}
    with open(SEEDS_DIR / "klass" / "klass_grunnkrets_changes.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["old_code"].startswith("1850") and row["change_year"] == "2020":
                successors.setdefault(row["old_code"], set()).add(row["new_code"][:4])
    unplaceable = sorted(code for code, kommuner in successors.items() if len(kommuner) > 1)
    assert len(unplaceable) == 3
    raw_dir = tmp_path / "raw"
    shutil.copytree(small_raw_dir, raw_dir)
    population = pq.read_table(raw_dir / "population.parquet")
    added = [{"year": year, "grunnkrets": code, "sex": sex, "age": 30, "persons": 7}
             for year in range(2010, 2020) for code in unplaceable for sex in ("1", "2")]
    pq.write_table(pa.concat_tables([population, pa.Table.from_pylist(added, schema=population.schema)]),
                   raw_dir / "population.parquet")
    run = new_run(tmp_path, raw_dir)
    result = run_pipeline(run)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    fylke = published(run, "fylke")
    in_kommuner: Counter[int] = Counter()
    for (year, code), value in published(run, "kommune").items():
        if code.startswith("18"):
            in_kommuner[year] += value
    assert "1899" not in {code for _, code in published(run, "kommune")}
    for year in range(2010, 2025):
        assert fylke[(year, "18")] - in_kommuner[year] == (3 * 2 * 7 if year < 2020 else 0), year
    with duckdb.connect(str(run.build_db), read_only=True) as con:
        rules = con.execute(
            "select distinct grunnkrets_code, recode_rule from intermediate.int_geography__crosswalk "
            "where raw_grunnkrets_code in (select unnest(?))", [unplaceable]).fetchall()
        chosen = con.execute(
            "select distinct chosen_code from intermediate.int_geography__split_report "
            "where old_code in (select unnest(?))", [unplaceable]).fetchall()
    assert rules == [("18999999", "unknown_in_fylke")]
    assert chosen == [("18999999",)]
