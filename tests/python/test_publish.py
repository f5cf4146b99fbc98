"""The public database is replaced atomically and holds only the published tables."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import levekar


def make_build_db(path: Path, value: float, geo_level: str = "kommune") -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create schema intermediate")
    con.execute("create table intermediate.int_geography__grunnkretser as select '03010101' as grunnkrets_code")
    con.execute(
        "create table marts.indicator_values as select 'population' as indicator_id, '2024_2024' as period, "
        f"'{geo_level}' as geo_level, '0301' as geo_code, '0' as sex, '0_120' as age_group, "
        f"{value}::double as value"
    )
    con.execute("create table marts.geography as select 2 as level_order, '0301' as geo_code, 'Oslo' as geo_name")
    con.execute("create table marts.indicators as select 'population' as indicator_id")
    con.close()


def paths(tmp_path: Path) -> levekar.Paths:
    return levekar.Paths(raw_dir=tmp_path / "raw", build_db=tmp_path / "build.duckdb",
                         public_db=tmp_path / "publish" / "levekar.duckdb")


def test_publish_copies_only_the_public_tables(tmp_path: Path) -> None:
    p = paths(tmp_path)
    make_build_db(p.build_db, 42.0)
    counts = levekar.publish(p)
    assert counts == {"indicator_values": 1, "geography": 1, "indicators": 1}
    with duckdb.connect(str(p.public_db), read_only=True) as con:
        names = sorted(row[0] for row in con.execute("select table_name from information_schema.tables").fetchall())
        assert names == ["geography", "indicator_values", "indicators"]
        assert con.execute("select value from indicator_values").fetchone()[0] == 42.0
    assert [f.name for f in p.public_db.parent.iterdir()] == ["levekar.duckdb"]


def test_a_reader_keeps_the_old_release_while_a_new_one_is_renamed_in(tmp_path: Path) -> None:
    p = paths(tmp_path)
    make_build_db(p.build_db, 1.0)
    levekar.publish(p)
    reader = duckdb.connect(str(p.public_db), read_only=True)
    assert reader.execute("select value from indicator_values").fetchone()[0] == 1.0

    p.build_db.unlink()
    make_build_db(p.build_db, 2.0)
    levekar.publish(p)
    # The open reader still sees the complete old release; a new reader sees the complete new one.
    assert reader.execute("select value from indicator_values").fetchone()[0] == 1.0
    reader.close()
    with duckdb.connect(str(p.public_db), read_only=True) as con:
        assert con.execute("select value from indicator_values").fetchone()[0] == 2.0


def test_a_failed_publish_leaves_the_release_byte_for_byte(tmp_path: Path) -> None:
    p = paths(tmp_path)
    make_build_db(p.build_db, 1.0)
    levekar.publish(p)
    before = p.public_db.read_bytes()

    p.build_db.unlink()
    make_build_db(p.build_db, 2.0, geo_level="grunnkrets")
    with pytest.raises(levekar.PipelineError, match="below the published levels"):
        levekar.publish(p)
    assert p.public_db.read_bytes() == before
    assert [f.name for f in p.public_db.parent.iterdir()] == ["levekar.duckdb"]


def test_missing_source_file_is_named(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for source in levekar.RAW_SOURCES:
        if source != "deaths":
            (raw / f"{source}.csv").write_text("x\n")
    with pytest.raises(levekar.PipelineError, match="no file for deaths"):
        levekar.detect_raw_format(raw)


def test_missing_column_is_named(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for source, columns in levekar.RAW_SOURCES.items():
        kept = [c for c in columns if not (source == "population" and c == "persons")]
        (raw / f"{source}.csv").write_text(",".join(kept) + "\n")
    assert levekar.detect_raw_format(raw) == "csv"
    with pytest.raises(levekar.PipelineError, match="source population: rule 'contract columns': missing persons"):
        levekar.check_raw_columns(raw, "csv")


def test_mixed_formats_are_refused(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for index, source in enumerate(levekar.RAW_SOURCES):
        (raw / f"{source}.{'csv' if index == 0 else 'parquet'}").write_text("")
    with pytest.raises(levekar.PipelineError, match="one format per raw directory"):
        levekar.detect_raw_format(raw)
