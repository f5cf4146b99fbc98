"""Tests of scripts/generate_demo_data.py on a small synthetic geography (and --small on the real seeds)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_DIR / "scripts"))

import generate_demo_data as gen  # noqa: E402

KEYS = {
    "population": ["year", "grunnkrets", "sex", "age"],
    "deaths": ["year", "grunnkrets", "sex", "age"],
    "low_income": ["year", "grunnkrets", "sex", "age"],
    "education": ["year", "grunnkrets", "sex", "age"],
    "benefits": ["year", "grunnkrets", "sex", "age", "benefit"],
    "crowded_housing": ["year", "grunnkrets"],
    "upper_secondary": ["year", "grunnkrets", "sex"],
    "national_tests": ["year", "grunnkrets", "sex", "grade", "subject"],
}
COUNTS = {source: [f.name for f in schema if f.name not in KEYS[source]] for source, schema in gen.SCHEMAS.items()}
FIRST, LAST = 2020, 2024


def write_synthetic_seeds(directory: Path) -> int:
    """Three kommuner: 1103 with 40 zones, 3301 with 12 zones, 1135 with one zone; returns the zone count."""
    directory.mkdir(parents=True, exist_ok=True)
    grunnkretser: list[str] = []
    zones: list[tuple[str, str]] = []
    for kommune, n_zones, per_zone in (("1103", 40, 5), ("3301", 12, 6), ("1135", 1, 14)):
        number = 0
        for zone in range(1, n_zones + 1):
            zone_code = f"{kommune}{'01' if kommune == '1103' else '00'}{zone:04d}"
            for _ in range(per_zone):
                number += 1
                code = f"{kommune}{number // 50 + 1:02d}{number % 50 + 1:02d}"
                grunnkretser.append(code)
                zones.append((zone_code, code))
        grunnkretser.append(f"{kommune}9999")
    grunnkretser.append("11039801")  # a grunnkrets outside any zone
    with (directory / "klass_grunnkretser.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["year", "grunnkrets_code", "grunnkrets_name"])
        for year in (2023, 2024):  # only the latest year is used
            writer.writerows([year, code, f"Krets {code}"] for code in sorted(grunnkretser))
    with (directory / "klass_levekarssone_grunnkrets.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["year", "levekarssone_code", "levekarssone_name", "grunnkrets_code"])
        writer.writerows([2025, zone, f"LKS {zone}", code] for zone, code in zones)
    return 53


def run(seeds: Path, out: Path, *extra: str) -> None:
    code = gen.main(["--seeds-dir", str(seeds), "--out", str(out), "--first-year", str(FIRST),
                     "--last-year", str(LAST), "--quiet", *extra])
    assert code == 0


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("demo")
    write_synthetic_seeds(root / "seeds")
    run(root / "seeds", root / "a")
    run(root / "seeds", root / "b")
    run(root / "seeds", root / "csv", "--format", "csv")
    return {"seeds": root / "seeds", "a": root / "a", "b": root / "b", "csv": root / "csv"}


@pytest.fixture(scope="module")
def tables(generated: dict[str, Path]) -> dict[str, pa.Table]:
    return {source: pq.read_table(generated["a"] / f"{source}.parquet") for source in gen.SCHEMAS}


def column(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table[name].to_numpy(zero_copy_only=False))


def test_every_source_has_the_contract_columns_and_types(tables: dict[str, pa.Table]) -> None:
    integer_columns = {"year", "age", "grade"}
    for source, table in tables.items():
        assert table.num_rows > 0, source
        assert table.column_names == [f.name for f in gen.SCHEMAS[source]], source
        for field in table.schema:
            if field.name in ("grunnkrets", "sex", "benefit", "subject"):
                assert pa.types.is_string(field.type), (source, field)
            else:
                assert pa.types.is_integer(field.type), (source, field)
        codes = set(column(table, "grunnkrets"))
        assert all(len(code) == 8 and code.isdigit() for code in codes), source
        assert set(column(table, "year")) == set(range(FIRST, LAST + 1)), source
        if "sex" in table.column_names:
            assert set(column(table, "sex")) == {"1", "2"}, source
        if "age" in table.column_names:
            ages = column(table, "age")
            assert 0 <= ages.min() and ages.max() <= 120, source
        assert integer_columns | set(COUNTS[source]) >= {f.name for f in table.schema if pa.types.is_integer(f.type)}


def test_value_domains(tables: dict[str, pa.Table]) -> None:
    assert set(column(tables["benefits"], "benefit")) == {"disability", "social_assistance", "unemployed"}
    assert set(column(tables["national_tests"], "subject")) == {"reading", "numeracy", "english"}
    assert set(column(tables["national_tests"], "grade")) == {5, 8}
    benefit_ages = column(tables["benefits"], "age")
    assert benefit_ages.min() >= 16 and benefit_ages.max() <= 67
    for name, (lo, hi) in gen.BENEFIT_AGES.items():
        ages = benefit_ages[column(tables["benefits"], "benefit") == name]
        assert ages.min() >= lo and ages.max() <= hi, name


def test_keys_are_unique_and_sorted_and_rows_sparse(tables: dict[str, pa.Table]) -> None:
    for source, table in tables.items():
        keys = table.select(KEYS[source]).to_pylist()
        tuples = [tuple(row.values()) for row in keys]
        assert len(set(tuples)) == len(tuples), f"{source}: duplicate keys"
        assert tuples == sorted(tuples), f"{source}: not sorted by its key columns"
        nonzero = np.zeros(table.num_rows, dtype=bool)
        for name in COUNTS[source]:
            nonzero |= column(table, name) != 0
        assert nonzero.all(), f"{source}: rows with only zero counts"


def test_counts_are_non_negative_and_numerators_within_denominators(tables: dict[str, pa.Table]) -> None:
    for source, table in tables.items():
        for name in COUNTS[source]:
            assert column(table, name).min() >= 0, (source, name)
        for numerator, denominator in gen.RATIOS[source]:
            assert (column(table, numerator) <= column(table, denominator)).all(), (source, numerator)


def cell_totals(table: pa.Table, value: str, keys: list[str]) -> dict[tuple, int]:
    frame = table.group_by(keys).aggregate([(value, "sum")])
    return {tuple(row[k] for k in keys): row[f"{value}_sum"] for row in frame.to_pylist()}


def test_deaths_and_households_within_population(tables: dict[str, pa.Table]) -> None:
    keys = ["year", "grunnkrets", "sex", "age"]
    persons = cell_totals(tables["population"], "persons", keys)
    for source, value in (("deaths", "deaths"), ("low_income", "persons_in_households"),
                          ("education", "persons_known_education")):
        for key, count in cell_totals(tables[source], value, keys).items():
            assert count <= persons.get(key, 0), (source, key)
    households = cell_totals(tables["low_income"], "persons_in_households", ["year"])
    total = cell_totals(tables["population"], "persons", ["year"])
    for year, value in households.items():
        assert 0.95 < value / total[year] < 0.995
    crowded = cell_totals(tables["crowded_housing"], "persons_in_households", ["year"])
    assert crowded == households


def test_unknown_grunnkrets_rows_exist(tables: dict[str, pa.Table]) -> None:
    for source, table in tables.items():
        codes = column(table, "grunnkrets")
        unknown = np.char.endswith(codes.astype(str), "9999")
        assert unknown.any(), source
        assert unknown.mean() < 0.05, source


def test_population_is_plausible(tables: dict[str, pa.Table]) -> None:
    population = tables["population"]
    years = column(population, "year")
    persons = column(population, "persons")
    last = persons[years == LAST].sum()
    # 53 zones of about 2,500 residents each, plus the unknown codes and the grunnkrets outside any zone.
    assert 90_000 < last < 190_000
    totals = [persons[years == y].sum() for y in range(FIRST, LAST + 1)]
    growth = np.diff(totals) / totals[:-1]
    assert (np.abs(growth) < 0.03).all()
    ages = column(population, "age")
    assert persons[(years == LAST) & (ages >= 100)].sum() < 0.001 * last
    old = (years == LAST) & (ages >= 80)
    sexes = column(population, "sex")
    assert persons[old & (sexes == "2")].sum() > persons[old & (sexes == "1")].sum()
    deaths = column(tables["deaths"], "deaths")[column(tables["deaths"], "year") == LAST].sum()
    assert 0.004 < deaths / last < 0.014


def test_same_seed_gives_identical_files(generated: dict[str, Path]) -> None:
    for source in gen.SCHEMAS:
        a = (generated["a"] / f"{source}.parquet").read_bytes()
        b = (generated["b"] / f"{source}.parquet").read_bytes()
        assert a == b, source
    assert not list(generated["a"].glob(".*tmp*")), "temporary files left behind"


def test_other_seed_gives_other_data(generated: dict[str, Path], tmp_path: Path) -> None:
    run(generated["seeds"], tmp_path, "--seed", "7")
    other = pq.read_table(tmp_path / "population.parquet")
    assert not other.equals(pq.read_table(generated["a"] / "population.parquet"))


def test_csv_format_matches_parquet(generated: dict[str, Path], tables: dict[str, pa.Table]) -> None:
    for source, schema in gen.SCHEMAS.items():
        path = generated["csv"] / f"{source}.csv"
        with path.open(encoding="utf-8") as handle:
            assert handle.readline().strip().replace('"', "") == ",".join(schema.names)
        table = pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(column_types=schema))
        assert table.equals(tables[source]), source


def test_mortality_gradient(tables: dict[str, pa.Table], generated: dict[str, Path]) -> None:
    """Zones with much low income have higher age-standardised death rates than zones with little."""
    zone_of = {}
    with (generated["seeds"] / "klass_levekarssone_grunnkrets.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            zone_of[row["grunnkrets_code"]] = row["levekarssone_code"]

    def by_zone(table: pa.Table, value: str, extra: list[str]) -> dict[tuple, int]:
        result: dict[tuple, int] = {}
        for key, count in cell_totals(table, value, ["grunnkrets", *extra]).items():
            zone = zone_of.get(key[0])
            if zone:
                result[(zone, *key[1:])] = result.get((zone, *key[1:]), 0) + count
        return result

    low = by_zone(tables["low_income"], "persons_low_income", [])
    households = by_zone(tables["low_income"], "persons_in_households", [])
    share = {zone[0]: low.get(zone, 0) / n for zone, n in households.items() if n}
    ranked = sorted(share, key=share.get)
    third = len(ranked) // 3
    affluent, deprived = set(ranked[:third]), set(ranked[-third:])

    def band(age: int) -> int:
        return min(age // 10, 9)

    persons = by_zone(tables["population"], "persons", ["sex", "age"])
    deaths = by_zone(tables["deaths"], "deaths", ["sex", "age"])
    standard: dict[tuple, float] = {}
    groups: dict[str, dict[tuple, list[float]]] = {"affluent": {}, "deprived": {}}
    for (zone, sex, age), n in persons.items():
        stratum = (sex, band(age))
        standard[stratum] = standard.get(stratum, 0) + n
        group = "affluent" if zone in affluent else "deprived" if zone in deprived else None
        if group:
            cell = groups[group].setdefault(stratum, [0.0, 0.0])
            cell[0] += deaths.get((zone, sex, age), 0)
            cell[1] += n
    weight = sum(standard.values())

    def standardised(group: str) -> float:
        return sum(standard[s] / weight * d / n for s, (d, n) in groups[group].items() if n)

    assert standardised("deprived") > 1.2 * standardised("affluent")


def test_kommuner_selects_a_subset(generated: dict[str, Path], tmp_path: Path) -> None:
    run(generated["seeds"], tmp_path, "--kommuner", "1135,3301")
    population = pq.read_table(tmp_path / "population.parquet")
    assert {code[:4] for code in column(population, "grunnkrets")} == {"1135", "3301"}


def test_errors_are_reported(generated: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gen.main(["--seeds-dir", str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2
    assert "klass_grunnkretser.csv" in capsys.readouterr().err
    assert gen.main(["--seeds-dir", str(generated["seeds"]), "--out", str(tmp_path / "out"),
                     "--kommuner", "0301", "--quiet"]) == 2
    assert "0301" in capsys.readouterr().err
    assert not (tmp_path / "out" / "population.parquet").exists()
    with pytest.raises(SystemExit):
        gen.main(["--first-year", "2024", "--last-year", "2020"])


REPO_SEEDS = PROJECT_DIR / "seeds" / "klass"


@pytest.mark.skipif(not (REPO_SEEDS / "klass_grunnkretser.csv").is_file()
                    or not (REPO_SEEDS / "klass_levekarssone_grunnkrets.csv").is_file(),
                    reason="KLASS seeds not written yet")
def test_small_on_the_real_seeds(tmp_path: Path) -> None:
    assert gen.main(["--small", "--out", str(tmp_path), "--quiet"]) == 0
    population = pq.read_table(tmp_path / "population.parquet")
    codes = column(population, "grunnkrets")
    years = column(population, "year")
    # 2024 uses the 2024 codes; older years the codes valid then (0235 -> 3033 -> 3209 Ullensaker, ...).
    assert {code[:4] for code in codes[years == 2024]} == set(gen.SMALL_KOMMUNER)
    assert {"0235", "3033", "0702", "0714", "0715", "3802", "1850"} <= {code[:4] for code in codes}
    assert 600 <= len(set(codes[years == 2024])) <= 1200
    assert set(years) == set(range(gen.SMALL_YEARS[0], gen.SMALL_YEARS[1] + 1))
    assert 200_000 < column(population, "persons")[years == 2024].sum() < 450_000
