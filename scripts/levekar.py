#!/usr/bin/env python3
"""Build the levekår pipeline from the raw files and publish the public DuckDB database.

    python scripts/levekar.py build      # check raw files, dbt build (with all tests), publish
    python scripts/levekar.py publish    # publish from an existing build database

Paths come from the environment (defaults in brackets): LEVEKAR_RAW_DIR [data/raw],
LEVEKAR_BUILD_DB [build/levekar_build.duckdb], LEVEKAR_PUBLIC_DB [publish/levekar.duckdb].
The public database is written to a new file and renamed into place, so a reader never sees half a release,
and it is only written when every model and test of the build has passed.

A build runs in four steps, and any failure stops it before the public database is touched:
1. preflight (here, without dbt): every source present, readable, not empty, UTF-8 (CSV), exactly the contract
   columns, years within LEVEKAR_FIRST_YEAR [1990] to LEVEKAR_LAST_YEAR [this year]; suspicious but legal
   input is reported with a WARNING line and does not stop the build;
2. validation: `dbt build` of the KLASS seeds and the staging models with their tests (every input rule);
3. the rest of the project: intermediate models, marts and the remaining tests;
4. publish.
See docs/operations.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import datetime
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

# Step 2 validates the raw files: the staging models with every seed they read and, in `cautious` mode, exactly
# the tests whose parents are all among them. Step 3 builds everything else; cautious exclusion keeps the tests
# that compare staging with later models (test_reliability checks the two steps cover the project exactly once).
VALIDATION_SELECTOR = "+path:models/staging"

# Suspicious but legal: a grunnkrets with at least this many residents in one year and none the next.
VANISHING_RESIDENTS = 20


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
        raise PipelineError("\n".join(
            f"source {source}: rule 'every source present': no file for {source} in {raw_dir} "
            f"(expected {source}.parquet or {source}.csv)"
            for source in missing
        ))
    if formats["parquet"] and formats["csv"]:
        raise PipelineError(
            f"rule 'one format per raw directory': parquet for {', '.join(formats['parquet'])}, "
            f"csv for {', '.join(formats['csv'])}"
        )
    return "csv" if formats["csv"] else "parquet"


def raw_reader(path: Path, raw_format: str) -> str:
    """The DuckDB table function that reads a raw file the way the dbt source does (CSV as text)."""
    if raw_format == "csv":
        return f"read_csv('{path}', header = true, all_varchar = true, delim = ',', quote = '\"')"
    return f"read_parquet('{path}')"


def year_range() -> tuple[int, int]:
    """The years a raw file may hold: LEVEKAR_FIRST_YEAR [1990] to LEVEKAR_LAST_YEAR [the current year]."""
    try:
        first = int(os.environ.get("LEVEKAR_FIRST_YEAR", "1990"))
        last = int(os.environ.get("LEVEKAR_LAST_YEAR", str(datetime.date.today().year)))
    except ValueError as error:
        raise PipelineError(f"LEVEKAR_FIRST_YEAR / LEVEKAR_LAST_YEAR must be years: {error}") from None
    if first > last:
        raise PipelineError(f"LEVEKAR_FIRST_YEAR {first} is after LEVEKAR_LAST_YEAR {last}")
    return first, last


def local_duckdb(path: Path | None = None, temp_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the build's limits (LEVEKAR_MEMORY_LIMIT, LEVEKAR_THREADS, LEVEKAR_TEMP_DIR)."""
    con = duckdb.connect(str(path) if path else ":memory:")
    try:
        con.execute(f"set memory_limit = '{os.environ.get('LEVEKAR_MEMORY_LIMIT', '8GB')}'")
        con.execute(f"set threads = {int(os.environ.get('LEVEKAR_THREADS', '2'))}")
        spill = os.environ.get("LEVEKAR_TEMP_DIR") or (str(temp_dir) if temp_dir else None)
        if spill:
            con.execute(f"set temp_directory = '{spill}'")
    except (duckdb.Error, ValueError) as error:
        con.close()
        raise PipelineError(f"bad LEVEKAR_MEMORY_LIMIT / LEVEKAR_THREADS / LEVEKAR_TEMP_DIR: {error}") from None
    return con


def format_rows(cursor: duckdb.DuckDBPyConnection, indent: str = "    ") -> list[str]:
    header = [column[0] for column in cursor.description]
    rows = cursor.fetchall()
    return [indent + " | ".join(header)] + [
        indent + " | ".join("NULL" if value is None else str(value) for value in row) for row in rows
    ]


def utf8_problem(path: Path) -> str | None:
    """None if the file is valid UTF-8, else where it is not (line number and the line as ISO-8859-1 reads it)."""
    line_number, carry = 1, b""
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(1 << 22)
            data = carry + chunk
            cut = len(data) if not chunk else data.rfind(b"\n") + 1  # decode whole lines only
            complete, carry = data[:cut], data[cut:]
            try:
                complete.decode("utf-8")
            except UnicodeDecodeError as error:
                line_number += complete.count(b"\n", 0, error.start)
                line_start = complete.rfind(b"\n", 0, error.start) + 1
                line_end = complete.find(b"\n", error.start)
                line = complete[line_start:line_end if line_end >= 0 else len(complete)].rstrip(b"\r")
                return (f"line {line_number} has the byte 0x{complete[error.start]:02x}, which is not UTF-8: "
                        f"{line.decode('latin-1')!r} (looks like ISO-8859-1 or Windows-1252; save the file as UTF-8)")
            line_number += complete.count(b"\n")
            if not chunk:
                return None


def check_raw_columns(raw_dir: Path, raw_format: str) -> None:
    """Fail early, naming the source, when a file cannot be read or its columns are not the contract's."""
    con = local_duckdb()
    problems = []
    for source, columns in RAW_SOURCES.items():
        path = raw_dir / f"{source}.{raw_format}"
        if path.stat().st_size == 0:
            problems.append(f"source {source}: rule 'not empty': {path.name} is an empty file (0 bytes)")
            continue
        if raw_format == "csv" and (problem := utf8_problem(path)):
            problems.append(f"source {source}: rule 'UTF-8 encoding': {path.name}: {problem}")
            continue
        try:
            present = [row[0] for row in con.execute(f"describe select * from {raw_reader(path, raw_format)}").fetchall()]
        except duckdb.Error as error:
            problems.append(f"source {source}: rule 'readable file': cannot read {path.name}: "
                            f"{str(error).splitlines()[0]}")
            continue
        absent = [column for column in columns if column not in present]
        unexpected = [column for column in present if column not in columns]
        if absent or unexpected:
            found = "; ".join(part for part in (
                f"missing {', '.join(absent)}" if absent else "",
                f"unexpected {', '.join(unexpected)}" if unexpected else "",
            ) if part)
            problems.append(
                f"source {source}: rule 'contract columns': {found} "
                f"(file has {', '.join(sorted(present))}; the contract: {', '.join(columns)})"
            )
    con.close()
    if problems:
        raise PipelineError("\n".join(problems))


def check_raw_contents(raw_dir: Path, raw_format: str, limit: int = 5) -> list[str]:
    """After check_raw_columns: every file has rows, every year is in the allowed range. Returns warnings
    about input that is legal but suspicious; raises PipelineError for the rest."""
    first, last = year_range()
    con = local_duckdb()
    problems: list[str] = []
    for source in RAW_SOURCES:
        path = raw_dir / f"{source}.{raw_format}"
        reader = raw_reader(path, raw_format)
        try:
            rows = con.execute(f"select count(*) from {reader}").fetchone()[0]
            if rows == 0:
                problems.append(f"source {source}: rule 'not empty': {path.name} has no rows")
                continue
            outside = f"from {reader} where try_cast(year as integer) not between {first} and {last}"
            bad = con.execute(f"select count(*) {outside}").fetchone()[0]
            if bad:
                problems.append(
                    f"source {source}: rule 'year in range': {bad} row(s) with a year outside {first}-{last} "
                    "(LEVEKAR_FIRST_YEAR, LEVEKAR_LAST_YEAR), for example:"
                )
                problems.extend(format_rows(con.execute(f"select * {outside} limit {limit}")))
        except duckdb.Error as error:
            problems.append(f"source {source}: rule 'readable file': cannot read {path.name}: "
                            f"{str(error).splitlines()[0]}")
    warnings = [] if problems else vanishing_residents(con, raw_dir, raw_format, limit)
    con.close()
    if problems:
        raise PipelineError("\n".join(problems))
    return warnings


def vanishing_residents(con: duckdb.DuckDBPyConnection, raw_dir: Path, raw_format: str, limit: int) -> list[str]:
    """Warn (legal, but often a delivery error): a grunnkrets with >= VANISHING_RESIDENTS residents one year and
    none the next, unless KLASS records that its code changed (seeds/klass/klass_changes.csv and the code history
    klass_grunnkrets_changes.csv)."""
    changes = PROJECT_DIR / "seeds" / "klass" / "klass_changes.csv"
    history = PROJECT_DIR / "seeds" / "klass" / "klass_grunnkrets_changes.csv"
    retired_parts = []
    if changes.exists():
        retired_parts.append(f"select old_code from read_csv('{changes}', header = true, all_varchar = true) "
                             "where classification = 'grunnkrets'")
    if history.exists():
        retired_parts.append(f"select old_code from read_csv('{history}', header = true, all_varchar = true)")
    retired = " union all ".join(retired_parts) or "select null::varchar as old_code where false"
    query = f"""
        with population as (
            select try_cast(year as integer) as year, cast(grunnkrets as varchar) as grunnkrets,
                try_cast(persons as bigint) as persons
            from {raw_reader(raw_dir / f"population.{raw_format}", raw_format)}
        ),
        per_year as (
            select grunnkrets, year, sum(persons) as persons from population group by grunnkrets, year
        ),
        years as (select distinct year from population)
        select this.grunnkrets, this.year, this.persons, this.year + 1 as next_year,
            coalesce(next.persons, 0) as next_year_persons
        from per_year as this
        inner join years on years.year = this.year + 1
        left join per_year as next on next.grunnkrets = this.grunnkrets and next.year = this.year + 1
        where this.persons >= {VANISHING_RESIDENTS} and coalesce(next.persons, 0) = 0
            and this.grunnkrets not in ({retired})
        order by this.persons desc, this.grunnkrets, this.year
    """
    try:
        found = con.execute(f"select count(*) from ({query})").fetchone()[0]
        if not found:
            return []
        return [
            f"WARNING source population: rule 'residents vanish' (legal, please check with the supplier): "
            f"{found} grunnkrets-years with at least {VANISHING_RESIDENTS} residents and none the next year, "
            "for example:",
            *format_rows(con.execute(f"{query} limit {limit}")),
        ]
    except duckdb.Error:
        return []  # a malformed file is the staging tests' business


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("dbt")
    if not found:
        raise PipelineError("dbt is not installed: run `make install`")
    return found


class DbtSession:
    """The build's dbt invocations in this process, sharing one parse of the project.

    Each dbt process spends about 5 s importing dbt and loading the parsed project; the validation step and the
    rest of the build are two `dbt build` selections of the same manifest.
    """

    def __init__(self, paths: Paths, raw_format: str, extra_vars: dict[str, object]) -> None:
        try:
            from dbt.cli.main import dbtRunner
        except ImportError:
            raise PipelineError("dbt is not installed: run `make install`") from None

        paths.build_db.parent.mkdir(parents=True, exist_ok=True)
        (paths.build_db.parent / "duckdb_tmp").mkdir(exist_ok=True)
        # dbt reads these while parsing (profiles.yml, sources) and running (temp folder, log path).
        os.environ.update(
            LEVEKAR_RAW_DIR=str(paths.raw_dir),
            LEVEKAR_BUILD_DB=str(paths.build_db),
            LEVEKAR_TEMP_DIR=os.environ.get("LEVEKAR_TEMP_DIR", str(paths.build_db.parent / "duckdb_tmp")),
            # dbt's log beside the build database: two builds in different folders must not rotate one log file.
            DBT_LOG_PATH=os.environ.get("DBT_LOG_PATH", str(paths.build_db.parent / "logs")),
        )
        self.arguments = [
            "--project-dir", str(PROJECT_DIR),
            "--profiles-dir", str(PROJECT_DIR),
            "--vars", json.dumps({"raw_format": raw_format, **extra_vars}),
        ]
        # As the dbt command line did: relative paths in the environment resolve against the project.
        with contextlib.chdir(PROJECT_DIR):
            parsed = dbtRunner().invoke(["parse", *self.arguments])
        if not parsed.success:
            raise PipelineError(f"dbt could not parse the project: {parsed.exception or 'see its log above'}")
        self.runner = dbtRunner(manifest=parsed.result)

    def build(self, *selection: str) -> bool:
        """`dbt build` of a selection; False if a model or test failed or dbt stopped with an error."""
        # The whole series is rebuilt from the raw files every time; seeds are reloaded even if their columns changed.
        try:
            with contextlib.chdir(PROJECT_DIR):
                return self.runner.invoke(["build", "--full-refresh", *self.arguments, *selection]).success
        finally:
            self.close_database()

    @staticmethod
    def close_database() -> None:
        """Close the DuckDB instance dbt-duckdb keeps open in this process, so that others can open the file."""
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager

        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager.close_all_connections()
        if environment is not None:
            environment.close()


def project_var(name: str, extra_vars: dict[str, object]) -> object:
    """A dbt var as the build saw it: --vars first, then dbt_project.yml."""
    if name in extra_vars:
        return extra_vars[name]
    try:
        import yaml

        return (yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text()).get("vars") or {}).get(name, name)
    except Exception:  # noqa: BLE001 - only a label in a message
        return name


def describe_rule(node: dict, extra_vars: dict[str, object] | None = None) -> str:
    """What a generic test demands, in words an analyst can check against the offending rows."""
    meta = node.get("test_metadata") or {}
    kwargs = {
        key: re.sub(r"\{\{\s*var\(['\"](\w+)['\"]\)\s*\}\}",
                    lambda match: str(project_var(match.group(1), extra_vars or {})), value)
        if isinstance(value, str) else value
        for key, value in (meta.get("kwargs") or {}).items()
    }
    column = kwargs.get("column_name") or node.get("column_name") or ""
    name = meta.get("name")
    if name == "in_range":
        bounds = [f">= {kwargs['min_value']}" if kwargs.get("min_value") is not None else "",
                  f"<= {kwargs['max_value']}" if kwargs.get("max_value") is not None else ""]
        return f"{column} must be a number {' and '.join(b for b in bounds if b)} (NULL: missing or not a number)"
    if name == "matches_pattern":
        return f"{column} must match {kwargs.get('pattern')}"
    if name == "accepted_values":
        return f"{column} must be one of {', '.join(map(str, kwargs.get('values') or []))}"
    if name == "relationships":
        to = re.sub(r"^ref\(['\"]?|['\"]?\)$", "", str(kwargs.get("to", "")))
        return f"{column} must be a code in {to} (from the KLASS seeds)" if "klass" in to else f"{column} must be in {to}"
    if name == "unique_combination_of_columns":
        return f"one row per {', '.join(kwargs.get('combination_of_columns') or [])}"
    if name == "not_greater_than":
        return f"{column} must not exceed {kwargs.get('other_column')}"
    if name in ("unique", "not_null"):
        return f"{column} must be {name.replace('_', ' ')}"
    return node.get("description") or ""


def report_failures(paths: Paths, limit: int = 5, extra_vars: dict[str, object] | None = None) -> str:
    """Name each failed test with a few offending rows, read from the tables dbt stored them in."""
    target = Path(os.environ.get("DBT_TARGET_PATH", PROJECT_DIR / "target"))
    results_file, manifest_file = target / "run_results.json", target / "manifest.json"
    if not results_file.exists() or not manifest_file.exists():
        return "dbt left no run results"
    results = json.loads(results_file.read_text())["results"]
    nodes = json.loads(manifest_file.read_text())["nodes"]
    lines = []
    try:
        con = duckdb.connect(str(paths.build_db), read_only=True) if paths.build_db.exists() else None
    except duckdb.Error:
        con = None
    for result in results:
        if result["status"] not in ("fail", "error"):
            continue
        node = nodes.get(result["unique_id"], {})
        attached = node.get("attached_node") or ""
        where = attached.split(".")[-1] if attached else node.get("name", result["unique_id"])
        source = where.removeprefix("stg_raw__") if where.startswith("stg_raw__") else None
        subject = f"source {source}" if source else f"model {where}"
        message = [line.strip() for line in (result.get("message") or "").splitlines() if line.strip()]
        lines.append(f"{subject}: rule {node.get('name', result['unique_id'])} {result['status']}ed: "
                     + " ".join(message[:3]))
        if rule := describe_rule(node, extra_vars):
            lines.append(f"    ({rule})")
        relation = node.get("relation_name")
        if con is not None and relation and result["status"] == "fail":
            try:
                lines.extend(format_rows(con.execute(f"select * from {relation} limit {limit}")))
            except duckdb.Error:
                pass
    if con is not None:
        con.close()
    return "\n".join(lines) if lines else "dbt build failed (see its log above)"


def remove_stale_files(paths: Paths) -> None:
    """Remove what a killed publish left behind: `.<name>.<pid>.new` (and its .wal) of processes that are gone."""
    for leftover in paths.public_db.parent.glob(f".{paths.public_db.name}.*.new*"):
        pid = leftover.name.removeprefix(f".{paths.public_db.name}.").split(".")[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # another publish is running
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        if leftover.is_file():
            leftover.unlink(missing_ok=True)
            print(f"removed {leftover.name}, left by an interrupted publish", flush=True)


def publish(paths: Paths) -> dict[str, int]:
    """Copy the public marts into a new DuckDB file and rename it over the public database."""
    if not paths.build_db.exists():
        raise PipelineError(f"build database {paths.build_db} does not exist: run the build first")
    paths.public_db.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_files(paths)
    staging_file = paths.public_db.with_name(f".{paths.public_db.name}.{os.getpid()}.new")
    staging_file.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    try:
        con = local_duckdb(staging_file, temp_dir=paths.build_db.parent / "duckdb_tmp")
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


SUMMARY_LEVELS = ("levekarssone", "bydel", "kommune", "fylke", "land")


def suppression_summary(build_db: Path) -> list[str]:
    """Published cells of the suppressible indicators by suppression reason and level, from the QC table."""
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        counts = con.execute(
            """
            select coalesce(qc.suppression_reason, 'shown') as reason, qc.geo_level, count(*)
            from intermediate.int_suppression__series as qc
            inner join marts.geography as geography
                on qc.geo_level = geography.geo_level and qc.geo_code = geography.geo_code
            inner join seeds.indicator_catalogue as catalogue on qc.indicator_id = catalogue.indicator_id
            where catalogue.numerator_limit is not null and (qc.spv_flag = 0 or qc.suppression_reason is not null)
            group by all
            """
        ).fetchall()
    finally:
        con.close()
    table: dict[str, dict[str, int]] = {}
    for reason, level, count in counts:
        table.setdefault(reason, {})[level] = count
    lines = ["suppression of the indicators with small-cell limits (published cells):",
             f"    {'reason':<10}" + "".join(f"{level:>14}" for level in SUMMARY_LEVELS)]
    for reason in ("shown", "primary", "secondary", "series"):
        row = table.get(reason, {})
        lines.append(f"    {reason:<10}" + "".join(f"{row.get(level, 0):>14,}" for level in SUMMARY_LEVELS))
    return lines


def merge_run_results(target: Path, earlier: dict) -> None:
    """Make target/run_results.json describe the whole build: the validation step's results, then the rest."""
    results_file = target / "run_results.json"
    if not results_file.exists():
        return
    later = json.loads(results_file.read_text())
    later["results"] = earlier["results"] + later["results"]
    later["elapsed_time"] = earlier.get("elapsed_time", 0) + later.get("elapsed_time", 0)
    results_file.write_text(json.dumps(later))


def build(paths: Paths, extra_vars: dict[str, object]) -> None:
    unchanged = "build failed; the public database was not changed."
    print("step 1 of 4: checking the raw files", flush=True)
    try:
        raw_format = detect_raw_format(paths.raw_dir)
        check_raw_columns(paths.raw_dir, raw_format)
        warnings = check_raw_contents(paths.raw_dir, raw_format)
    except PipelineError as error:
        raise PipelineError(f"{unchanged}\n{error}") from None
    print(f"raw files: {paths.raw_dir} ({raw_format})", flush=True)
    for line in warnings:
        print(line, flush=True)
    # Every build starts from an empty build database (it is fully rebuilt anyway), so whatever a killed or
    # failed build left in it cannot matter.
    for leftover in (paths.build_db, Path(f"{paths.build_db}.wal")):
        leftover.unlink(missing_ok=True)
    target = Path(os.environ.get("DBT_TARGET_PATH", PROJECT_DIR / "target"))
    results_file = target / "run_results.json"
    results_file.unlink(missing_ok=True)  # never report an earlier run's failures

    print("step 2 of 4: validating the raw files (KLASS seeds, staging models and their tests)", flush=True)
    dbt = DbtSession(paths, raw_format, extra_vars)
    if not dbt.build("--select", VALIDATION_SELECTOR, "--indirect-selection", "cautious"):
        raise PipelineError(f"{unchanged}\n" + report_failures(paths, extra_vars=extra_vars))
    validation = json.loads(results_file.read_text()) if results_file.exists() else {"results": []}
    results_file.unlink(missing_ok=True)

    print("step 3 of 4: building the models and running the remaining tests", flush=True)
    succeeded = dbt.build("--exclude", VALIDATION_SELECTOR, "--indirect-selection", "cautious")
    merge_run_results(target, validation)
    if not succeeded:
        raise PipelineError(f"{unchanged}\n" + report_failures(paths, extra_vars=extra_vars))

    for line in suppression_summary(paths.build_db):
        print(line, flush=True)
    print("step 4 of 4: publishing", flush=True)
    counts = publish(paths)
    print(f"published {paths.public_db}: " + ", ".join(f"{t} {n} rows" for t, n in counts.items()), flush=True)
    for line in warnings:
        print(line, file=sys.stderr, flush=True)


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
    except (OSError, duckdb.Error) as error:
        print(f"error: {type(error).__name__}: {error}; the public database was not changed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
