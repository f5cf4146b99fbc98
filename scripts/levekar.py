#!/usr/bin/env python3
"""Build the levekår pipeline from the raw files and publish the public DuckDB database.

    python scripts/levekar.py build      # check raw files, dbt build (with all tests), publish
    python scripts/levekar.py publish    # publish from an existing build database

Paths come from the environment (defaults in brackets): LEVEKAR_RAW_DIR [data/raw],
LEVEKAR_BUILD_DB [build/levekar_build.duckdb], LEVEKAR_PUBLIC_DB [publish/levekar.duckdb].
The public database is written to a new file and renamed into place, so a reader never sees half a release,
and it is only written when every model and test of the build has passed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parent.parent

# CONTRACT.md section 2: the columns every raw file must have.
RAW_SOURCES: dict[str, tuple[str, ...]] = {
    "population": ("year", "grunnkrets", "sex", "age", "persons"),
    "deaths": ("year", "grunnkrets", "sex", "age", "deaths"),
    "low_income": ("year", "grunnkrets", "sex", "age", "persons_in_households", "persons_low_income"),
    "education": ("year", "grunnkrets", "sex", "age", "persons_known_education", "persons_basic_only"),
    "benefits": ("year", "grunnkrets", "sex", "age", "benefit", "persons"),
    "crowded_housing": ("year", "grunnkrets", "persons_in_households", "persons_crowded"),
    "upper_secondary": ("year", "grunnkrets", "sex", "pupils_started", "pupils_completed"),
    "national_tests": ("year", "grunnkrets", "sex", "grade", "subject", "pupils_tested", "pupils_lowest_level"),
}

# Published tables (build schema `marts`) and the order that makes the public files reproducible.
PUBLIC_TABLES: dict[str, str] = {
    "indicator_values": "indicator_id, period, geo_level, geo_code, sex, age_group",
    "geography": "level_order, geo_code",
    "indicators": "indicator_id",
}
PUBLIC_GEO_LEVELS = ("land", "fylke", "kommune", "bydel", "levekarssone")


class PipelineError(Exception):
    """A failure an operator can act on; printed as a message, not a stack trace."""


@dataclass(frozen=True)
class Paths:
    raw_dir: Path
    build_db: Path
    public_db: Path

    @classmethod
    def from_environment(cls) -> "Paths":
        def resolve(variable: str, default: str) -> Path:
            path = Path(os.environ.get(variable, default))
            return path if path.is_absolute() else PROJECT_DIR / path

        return cls(
            raw_dir=resolve("LEVEKAR_RAW_DIR", "data/raw"),
            build_db=resolve("LEVEKAR_BUILD_DB", "build/levekar_build.duckdb"),
            public_db=resolve("LEVEKAR_PUBLIC_DB", "publish/levekar.duckdb"),
        )


def detect_raw_format(raw_dir: Path) -> str:
    """Return 'parquet' or 'csv': every source must be present, all in one format."""
    if not raw_dir.is_dir():
        raise PipelineError(f"raw directory {raw_dir} does not exist (set LEVEKAR_RAW_DIR)")
    formats: dict[str, list[str]] = {"parquet": [], "csv": []}
    missing = []
    for source in RAW_SOURCES:
        found = [fmt for fmt in formats if (raw_dir / f"{source}.{fmt}").is_file()]
        if not found:
            missing.append(source)
        elif len(found) == 2:
            raise PipelineError(f"source {source}: both {source}.parquet and {source}.csv in {raw_dir}; keep one")
        else:
            formats[found[0]].append(source)
    if missing:
        raise PipelineError(
            f"rule 'every source present': no file for {', '.join(missing)} in {raw_dir} "
            "(expected <source>.parquet or <source>.csv)"
        )
    if formats["parquet"] and formats["csv"]:
        raise PipelineError(
            f"rule 'one format per raw directory': parquet for {', '.join(formats['parquet'])}, "
            f"csv for {', '.join(formats['csv'])}"
        )
    return "csv" if formats["csv"] else "parquet"


def check_raw_columns(raw_dir: Path, raw_format: str) -> None:
    """Fail early, naming the source, when a file lacks a contract column."""
    con = duckdb.connect()
    problems = []
    for source, columns in RAW_SOURCES.items():
        path = raw_dir / f"{source}.{raw_format}"
        reader = (
            f"read_csv('{path}', header = true, all_varchar = true)"
            if raw_format == "csv"
            else f"read_parquet('{path}')"
        )
        try:
            present = {row[0] for row in con.execute(f"describe select * from {reader}").fetchall()}
        except duckdb.Error as error:
            problems.append(f"source {source}: cannot read {path.name}: {str(error).splitlines()[0]}")
            continue
        absent = [column for column in columns if column not in present]
        if absent:
            problems.append(
                f"source {source}: rule 'contract columns': missing {', '.join(absent)} "
                f"(file has {', '.join(sorted(present))})"
            )
    con.close()
    if problems:
        raise PipelineError("\n".join(problems))


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("dbt")
    if not found:
        raise PipelineError("dbt is not installed: run `make install`")
    return found


def run_dbt_build(paths: Paths, raw_format: str, extra_vars: dict[str, object]) -> int:
    paths.build_db.parent.mkdir(parents=True, exist_ok=True)
    (paths.build_db.parent / "duckdb_tmp").mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update(
        LEVEKAR_RAW_DIR=str(paths.raw_dir),
        LEVEKAR_BUILD_DB=str(paths.build_db),
        LEVEKAR_TEMP_DIR=env.get("LEVEKAR_TEMP_DIR", str(paths.build_db.parent / "duckdb_tmp")),
    )
    dbt_vars = {"raw_format": raw_format, **extra_vars}
    command = [
        dbt_executable(),
        "build",
        # The whole series is rebuilt from the raw files every time; seeds are reloaded even if their columns changed.
        "--full-refresh",
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR),
        "--vars", json.dumps(dbt_vars),
    ]
    return subprocess.run(command, env=env, cwd=PROJECT_DIR, check=False).returncode


def report_failures(paths: Paths, limit: int = 5) -> str:
    """Name each failed test with a few offending rows, read from the tables dbt stored them in."""
    target = Path(os.environ.get("DBT_TARGET_PATH", PROJECT_DIR / "target"))
    results_file, manifest_file = target / "run_results.json", target / "manifest.json"
    if not results_file.exists() or not manifest_file.exists():
        return "dbt left no run results"
    results = json.loads(results_file.read_text())["results"]
    nodes = json.loads(manifest_file.read_text())["nodes"]
    lines = []
    con = duckdb.connect(str(paths.build_db), read_only=True) if paths.build_db.exists() else None
    for result in results:
        if result["status"] not in ("fail", "error"):
            continue
        node = nodes.get(result["unique_id"], {})
        attached = node.get("attached_node") or ""
        where = attached.split(".")[-1] if attached else node.get("name", result["unique_id"])
        source = where.removeprefix("stg_raw__") if where.startswith("stg_raw__") else None
        subject = f"source {source}" if source else f"model {where}"
        lines.append(f"{subject}: rule {node.get('name', result['unique_id'])} {result['status']}ed: "
                     f"{(result.get('message') or '').strip()}")
        relation = node.get("relation_name")
        if con is not None and relation and result["status"] == "fail":
            try:
                cursor = con.execute(f"select * from {relation} limit {limit}")
                header = [column[0] for column in cursor.description]
                lines.append("    " + " | ".join(header))
                lines.extend("    " + " | ".join(str(value) for value in row) for row in cursor.fetchall())
            except duckdb.Error:
                pass
    if con is not None:
        con.close()
    return "\n".join(lines) if lines else "dbt build failed (see its log above)"


def publish(paths: Paths) -> dict[str, int]:
    """Copy the public marts into a new DuckDB file and rename it over the public database."""
    if not paths.build_db.exists():
        raise PipelineError(f"build database {paths.build_db} does not exist: run the build first")
    paths.public_db.parent.mkdir(parents=True, exist_ok=True)
    staging_file = paths.public_db.with_name(f".{paths.public_db.name}.{os.getpid()}.new")
    staging_file.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    try:
        con = duckdb.connect(str(staging_file))
        con.execute(f"attach '{paths.build_db}' as build (read_only)")
        for table, order in PUBLIC_TABLES.items():
            con.execute(f"create table main.{table} as select * from build.marts.{table} order by {order}")
            counts[table] = con.execute(f"select count(*) from main.{table}").fetchone()[0]
        leaked = con.execute(
            "select count(*) from main.indicator_values where geo_level not in "
            f"({', '.join(repr(level) for level in PUBLIC_GEO_LEVELS)})"
        ).fetchone()[0]
        if leaked:
            raise PipelineError(f"refusing to publish: {leaked} indicator rows below the published levels")
        con.execute("detach build")
        con.execute("checkpoint")
        con.close()
        with open(staging_file, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(staging_file, paths.public_db)
        directory = os.open(paths.public_db.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        staging_file.unlink(missing_ok=True)
        Path(f"{staging_file}.wal").unlink(missing_ok=True)
    return counts


def build(paths: Paths, extra_vars: dict[str, object]) -> None:
    raw_format = detect_raw_format(paths.raw_dir)
    check_raw_columns(paths.raw_dir, raw_format)
    print(f"raw files: {paths.raw_dir} ({raw_format})", flush=True)
    if run_dbt_build(paths, raw_format, extra_vars) != 0:
        raise PipelineError("build failed; the public database was not changed.\n" + report_failures(paths))
    counts = publish(paths)
    print(f"published {paths.public_db}: " + ", ".join(f"{t} {n} rows" for t, n in counts.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["build", "publish"])
    parser.add_argument("--vars", default="{}", help="extra dbt vars as JSON, e.g. '{\"geography_year\": 2026}'")
    args = parser.parse_args(argv)
    paths = Paths.from_environment()
    try:
        extra_vars = json.loads(args.vars)
        if args.command == "build":
            build(paths, extra_vars)
        else:
            counts = publish(paths)
            print(f"published {paths.public_db}: " + ", ".join(f"{t} {n} rows" for t, n in counts.items()))
    except json.JSONDecodeError as error:
        print(f"error: --vars is not JSON: {error}", file=sys.stderr)
        return 2
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
