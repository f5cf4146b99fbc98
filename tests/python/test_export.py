"""The statistics-bank export, read back and checked row by row against the public database."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import duckdb
import pytest

import export_statbank
from conftest import PipelineRun


@pytest.fixture(scope="module")
def exported(small_pipeline: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "export"
    assert export_statbank.main(["--public-db", str(small_pipeline.public_db), "--out", str(out)]) == 0
    return out


def number(text: str) -> float | None:
    return None if text == "" else float(text)


def test_every_indicator_is_written_as_csv_and_parquet(small_pipeline: PipelineRun, exported: Path):
    public = duckdb.connect(str(small_pipeline.public_db), read_only=True)
    indicators = [row[0] for row in public.execute("select indicator_id from indicators").fetchall()]
    assert sorted(path.name for path in exported.iterdir()) == sorted(
        [f"{name}.csv" for name in indicators] + [f"{name}.parquet" for name in indicators])
    assert not list(exported.parent.glob(".export.*")), "a staging folder was left behind"


@pytest.mark.parametrize("indicator", ["low_income", "population", "mortality_dsr", "national_tests_reading"])
def test_csv_rows_equal_the_public_database(small_pipeline: PipelineRun, exported: Path, indicator: str):
    public = duckdb.connect(str(small_pipeline.public_db), read_only=True)
    expected = {
        (geo, period, sex, age): (numerator, denominator, value, low, high, flag, start, end, level)
        for geo, period, sex, age, numerator, denominator, value, low, high, flag, start, end, level in public.execute(
            "select geo_code, period, sex, age_group, numerator, denominator, value, ci_lower, ci_upper, spv_flag, "
            "period_start, period_end, geo_level from indicator_values where indicator_id = ?", [indicator]
        ).fetchall()
    }
    with open(exported / f"{indicator}.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert list(rows[0]) == list(export_statbank.COLUMNS)
    assert len(rows) == len(expected)
    suppressed = 0
    for row in rows:
        numerator, denominator, value, low, high, flag, start, end, level = expected[
            (row["GEO"], row["AAR"], row["KJONN"], row["ALDER"])]
        years = end - start + 1
        assert row["AAR"] == f"{start}_{end}" and int(row["SPVFLAGG"]) == flag and row["GEONIVA"] == level
        if flag > 0:
            suppressed += 1
            assert all(row[column] == "" for column in (
                "TELLER", "NEVNER", "RATE", "sumTELLER", "sumNEVNER", "RATE_KI_NEDRE", "RATE_KI_OVRE"))
            continue
        assert number(row["sumTELLER"]) == numerator
        assert math.isclose(number(row["TELLER"]), numerator / years, rel_tol=1e-12)
        assert number(row["RATE"]) == value
        assert number(row["RATE_KI_NEDRE"]) == low and number(row["RATE_KI_OVRE"]) == high
        if denominator is None:
            assert row["NEVNER"] == "" and row["sumNEVNER"] == ""
        else:
            assert math.isclose(number(row["NEVNER"]), denominator / years, rel_tol=1e-12)
    if indicator == "national_tests_reading":
        assert suppressed, "the export test should see suppressed cells"


def test_parquet_equals_csv(exported: Path):
    con = duckdb.connect()
    for indicator in ("low_income", "population"):
        from_csv = con.execute(
            f"select * from read_csv('{exported / indicator}.csv', delim=';', header=true, all_varchar=true)"
        ).fetchall()
        from_parquet = con.execute(
            f"select * from read_parquet('{exported / indicator}.parquet')").fetchall()
        assert len(from_csv) == len(from_parquet)
        for text_row, typed_row in zip(from_csv, from_parquet):
            for text, typed in zip(text_row, typed_row):
                if typed is None:
                    assert text is None or text == ""
                elif isinstance(typed, float):
                    assert float(text) == typed
                else:
                    assert text == str(typed)


def test_missing_database_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert export_statbank.main(["--public-db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "x")]) == 1
    assert "does not exist" in capsys.readouterr().err
