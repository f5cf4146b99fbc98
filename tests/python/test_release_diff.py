"""The release diff on two hand-made databases with known differences, and on the demo against itself."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

import release_diff
from conftest import PipelineRun

COLUMNS = "indicator_id, period, geo_level, geo_code, sex, age_group, value, spv_flag"


def make_db(path: Path, rows: list[tuple]) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create table indicator_values (indicator_id varchar, period varchar, geo_level varchar, "
                "geo_code varchar, sex varchar, age_group varchar, value double, spv_flag integer)")
    con.executemany(f"insert into indicator_values ({COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.close()
    return path


def cell(code: str, period: str, value: float | None, flag: int = 0, level: str = "levekarssone"):
    return ("low_income", period, level, code, "0", "0_120", value, flag)


def test_hand_made_releases(tmp_path: Path):
    previous = make_db(tmp_path / "old.duckdb", [
        cell("0301010101", "2020_2022", 10.0),        # unchanged
        cell("0301010102", "2020_2022", 20.0),        # revised by 1 %: above the 0.1 % tolerance
        cell("0301010103", "2020_2022", 30.0),        # revised by 0.01 %: within tolerance
        cell("0301010104", "2020_2022", 40.0),        # newly suppressed
        cell("0301010105", "2020_2022", None, 3),     # newly released
        cell("0301010106", "2020_2022", 50.0),        # removed unit
    ])
    current = make_db(tmp_path / "new.duckdb", [
        cell("0301010101", "2020_2022", 10.0),
        cell("0301010102", "2020_2022", 20.2),
        cell("0301010103", "2020_2022", 30.003),
        cell("0301010104", "2020_2022", None, 3),
        cell("0301010105", "2020_2022", 12.0),
        cell("0301010101", "2021_2023", 11.0),        # new period
        cell("0301010107", "2020_2022", 5.0),         # added unit
    ])
    result = release_diff.compare(previous, current, relative=0.001, absolute=1e-9)
    key = ("low_income", "levekarssone")
    assert result["units"][(*key, "added")]["examples"] == ["0301010107"]
    assert result["units"][(*key, "removed")]["examples"] == ["0301010106"]
    assert result["periods"][(*key, "added")]["examples"] == ["2021_2023"]
    assert (*key, "removed") not in result["periods"]
    assert result["revised"][(*key, "revised")]["count"] == 1
    assert result["revised"][(*key, "revised")]["examples"][0].startswith("0301010102 2020_2022")
    assert result["suppressed"][(*key, "newly suppressed")]["count"] == 1
    assert result["released"][(*key, "newly released")]["count"] == 1
    report = release_diff.render(result, previous, current, 0.001, 1e-9)
    assert "| history revisions | 1 |" in report and "| units added | 1 |" in report


def test_demo_against_itself_and_a_modified_copy(small_pipeline: PipelineRun, tmp_path: Path):
    same = release_diff.compare(small_pipeline.public_db, small_pipeline.public_db, 0.001, 1e-9)
    assert not any(same.values())
    assert "No differences." in release_diff.render(same, small_pipeline.public_db, small_pipeline.public_db,
                                                   0.001, 1e-9)
    modified = tmp_path / "modified.duckdb"
    shutil.copy(small_pipeline.public_db, modified)
    con = duckdb.connect(str(modified))
    changed = con.execute(
        "update indicator_values set value = value * 1.05 where indicator_id = 'low_income' "
        "and geo_level = 'kommune' and spv_flag = 0 and period = '2022_2024'").fetchone()[0]
    con.close()
    result = release_diff.compare(small_pipeline.public_db, modified, 0.001, 1e-9)
    assert result["revised"][("low_income", "kommune", "revised")]["count"] == changed > 0
    assert sum(entry["count"] for entry in result["revised"].values()) == changed


def test_not_a_levekar_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).execute("create table t (x integer)").close()
    assert release_diff.main(["--previous", str(other), "--current", str(other)]) == 2
    assert "not a levekår public database" in capsys.readouterr().err
