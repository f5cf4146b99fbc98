"""Write the statistics-bank export: one `;`-separated CSV and one Parquet file per indicator.

Reads only the public database (read-only). The long layout of the statistics bank (Folkehelsestatistikk):

    GEO;AAR;KJONN;ALDER;TELLER;NEVNER;RATE;SPVFLAGG;sumTELLER;sumNEVNER;RATE_KI_NEDRE;RATE_KI_OVRE;GEONIVA

GEO is the geo code, AAR the period `YYYY_YYYY`, KJONN 0/1/2, ALDER the age group `lo_hi`; TELLER and NEVNER are
annual averages over the period (sumTELLER and sumNEVNER the period sums), RATE the indicator value in the
catalogue's unit, RATE_KI_NEDRE/RATE_KI_OVRE its 95 % interval, SPVFLAGG the spv_flag and GEONIVA the geo level.
Suppressed and missing values (SPVFLAGG > 0) are empty; NEVNER is empty for counts.

    python scripts/export_statbank.py                       # publish/levekar.duckdb -> publish/export/
    python scripts/export_statbank.py --out /tmp/export --indicator low_income

The folder is written beside its final place and renamed into it, so a reader never sees a half-written export.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[1]
COLUMNS = (
    "GEO", "AAR", "KJONN", "ALDER", "TELLER", "NEVNER", "RATE", "SPVFLAGG",
    "sumTELLER", "sumNEVNER", "RATE_KI_NEDRE", "RATE_KI_OVRE", "GEONIVA",
)
LEVEL_ORDER = "case geo_level when 'land' then 0 when 'fylke' then 1 when 'kommune' then 2 when 'bydel' then 3 else 4 end"
EXPORT_QUERY = f"""
    select
        geo_code as "GEO",
        period as "AAR",
        sex as "KJONN",
        age_group as "ALDER",
        numerator / (period_end - period_start + 1) as "TELLER",
        denominator / (period_end - period_start + 1) as "NEVNER",
        value as "RATE",
        spv_flag as "SPVFLAGG",
        numerator as "sumTELLER",
        denominator as "sumNEVNER",
        ci_lower as "RATE_KI_NEDRE",
        ci_upper as "RATE_KI_OVRE",
        geo_level as "GEONIVA"
    from indicator_values
    where indicator_id = $indicator
    order by {LEVEL_ORDER}, geo_code, period_start, period_end, sex, age_group
"""


class ExportError(Exception):
    """A problem the user can fix (missing database, unknown indicator)."""


def default_public_db() -> Path:
    path = Path(os.environ.get("LEVEKAR_PUBLIC_DB", "publish/levekar.duckdb"))
    return path if path.is_absolute() else PROJECT_DIR / path


def open_public(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.exists():
        raise ExportError(f"public database {path} does not exist: run `make demo` or `make build` first")
    con = duckdb.connect(str(path), read_only=True)
    tables = {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}
    missing = {"indicator_values", "indicators"} - tables
    if missing:
        con.close()
        raise ExportError(f"{path} is not a levekår public database: no table {', '.join(sorted(missing))}")
    return con


def check_hidden_cells_are_empty(con: duckdb.DuckDBPyConnection) -> None:
    """The contract says hidden cells carry no numbers; refuse to export a database that breaks it."""
    leaks = con.execute(
        "select count(*) from indicator_values where spv_flag > 0 and (numerator is not null or "
        "denominator is not null or value is not null or ci_lower is not null or ci_upper is not null)"
    ).fetchone()[0]
    if leaks:
        raise ExportError(f"refusing to export: {leaks} cells with spv_flag > 0 carry numbers")


def export(public_db: Path, out_dir: Path, indicators: list[str] | None = None) -> dict[str, int]:
    """Write <indicator>.csv and <indicator>.parquet into out_dir (replaced whole); rows per indicator."""
    con = open_public(public_db)
    try:
        check_hidden_cells_are_empty(con)
        known = [row[0] for row in con.execute("select indicator_id from indicators order by indicator_id").fetchall()]
        chosen = indicators or known
        unknown = sorted(set(chosen) - set(known))
        if unknown:
            raise ExportError(f"unknown indicator(s) {', '.join(unknown)}; known: {', '.join(known)}")
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = out_dir.with_name(f".{out_dir.name}.{os.getpid()}.new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        counts = {}
        try:
            for indicator in chosen:
                relation = con.sql(EXPORT_QUERY, params={"indicator": indicator})
                csv_path = staging / f"{indicator}.csv"
                relation.write_csv(str(csv_path), sep=";", header=True, na_rep="")
                relation.write_parquet(str(staging / f"{indicator}.parquet"))
                counts[indicator] = con.sql(
                    "select count(*) from indicator_values where indicator_id = $indicator",
                    params={"indicator": indicator},
                ).fetchone()[0]
            replace_folder(staging, out_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return counts
    finally:
        con.close()


def replace_folder(new: Path, target: Path) -> None:
    """Swap new into target's place: a rename each, so target is whole at every moment it exists."""
    old = target.with_name(f".{target.name}.{os.getpid()}.old")
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--public-db", type=Path, default=default_public_db(),
                        help="the public database (default: LEVEKAR_PUBLIC_DB or publish/levekar.duckdb)")
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "publish" / "export",
                        help="output folder, replaced whole (default: publish/export)")
    parser.add_argument("--indicator", action="append", help="only this indicator (repeatable)")
    args = parser.parse_args(argv)
    try:
        counts = export(args.public_db, args.out, args.indicator)
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {len(counts)} indicators ({sum(counts.values()):,} rows) as CSV and Parquet to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
