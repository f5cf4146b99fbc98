"""Compare a new public database with the previous release: a markdown report for review before publishing.

Per indicator and geo level: units added and removed, periods added and removed, history revisions (a value
shown in both releases that changed by more than the tolerance, in a period both releases have), cells newly
suppressed (shown before, spv_flag > 0 now) and newly released (hidden before, shown now).

    python scripts/release_diff.py --previous releases/2025/levekar.duckdb             # vs publish/levekar.duckdb
    python scripts/release_diff.py --previous old.duckdb --current new.duckdb --out diff.md

A value counts as revised when |new - old| > --absolute-tolerance + --relative-tolerance * |old|
(defaults 1e-9 and 0.001, i.e. 0.1 %). The report is for people: the exit code is 0 whatever it finds.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[1]
KEY = ("indicator_id", "period", "geo_level", "geo_code", "sex", "age_group")
LEVELS = ("land", "fylke", "kommune", "bydel", "levekarssone")
EXAMPLES = 10


class DiffError(Exception):
    """A problem the user can fix (missing file, not a levekår public database)."""


def attach(con: duckdb.DuckDBPyConnection, path: Path, alias: str) -> None:
    if not path.exists():
        raise DiffError(f"{alias} database {path} does not exist")
    con.execute(f"attach '{path}' as {alias} (read_only)")
    tables = {row[0] for row in con.execute(
        "select table_name from information_schema.tables where table_catalog = ?", [alias]).fetchall()}
    if "indicator_values" not in tables:
        raise DiffError(f"{path} is not a levekår public database: it has no table indicator_values")


def compare(previous: Path, current: Path, relative: float, absolute: float) -> dict:
    """Counts and examples of every kind of change, per (indicator, level)."""
    con = duckdb.connect()
    attach(con, previous, "previous")
    attach(con, current, "current")
    key = ", ".join(KEY)
    on = " and ".join(f"old.{column} = new.{column}" for column in KEY)
    con.execute(f"""
        create temp table cells as
        select
            coalesce(new.indicator_id, old.indicator_id) as indicator_id,
            coalesce(new.geo_level, old.geo_level) as geo_level,
            coalesce(new.geo_code, old.geo_code) as geo_code,
            coalesce(new.period, old.period) as period,
            coalesce(new.sex, old.sex) as sex,
            coalesce(new.age_group, old.age_group) as age_group,
            old.value as old_value, new.value as new_value,
            old.spv_flag as old_flag, new.spv_flag as new_flag,
            coalesce(new.geo_code, old.geo_code) || ' ' || coalesce(new.period, old.period)
                || ' sex ' || coalesce(new.sex, old.sex) || ' age ' || coalesce(new.age_group, old.age_group) as cell
        from (select {key}, value, spv_flag from previous.indicator_values) as old
        full join (select {key}, value, spv_flag from current.indicator_values) as new on {on}
    """)
    result: dict = {"units": {}, "periods": {}, "revised": {}, "suppressed": {}, "released": {}}
    group = "indicator_id, geo_level"

    def added_and_removed(column: str) -> str:
        """Values of column (per indicator and level) present in only one of the releases."""
        return f"""
            with old_values as (select distinct {group}, {column} from cells where old_flag is not null),
            new_values as (select distinct {group}, {column} from cells where new_flag is not null),
            added as (select * from new_values except select * from old_values),
            removed as (select * from old_values except select * from new_values)
            select {group}, 'added' as change, {column} as example from added
            union all
            select {group}, 'removed', {column} from removed
        """

    for kind, query in {
        "units": added_and_removed("geo_code"),
        "periods": added_and_removed("period"),
        "revised": f"""
            select {group}, 'revised' as change,
                cell || ': ' || old_value || ' -> ' || new_value as example
            from cells
            where old_flag = 0 and new_flag = 0
                and abs(new_value - old_value) > {absolute} + {relative} * abs(old_value)
        """,
        "suppressed": f"""
            select {group}, 'newly suppressed' as change,
                cell as example
            from cells where old_flag = 0 and new_flag > 0
        """,
        "released": f"""
            select {group}, 'newly released' as change,
                cell as example
            from cells where old_flag > 0 and new_flag = 0
        """,
    }.items():
        for indicator, level, change, example in con.execute(f"select * from ({query}) order by all").fetchall():
            entry = result[kind].setdefault((indicator, level, change), {"count": 0, "examples": []})
            entry["count"] += 1
            if len(entry["examples"]) < EXAMPLES:
                entry["examples"].append(example)
    con.close()
    return result


def render(result: dict, previous: Path, current: Path, relative: float, absolute: float) -> str:
    def total(kind: str, change: str | None = None) -> int:
        return sum(entry["count"] for (_, _, kind_change), entry in result[kind].items()
                   if change is None or kind_change == change)

    lines = [
        "# Release diff",
        "",
        f"Previous: `{previous}`  ",
        f"Current: `{current}`  ",
        f"A value is revised when |new − old| > {absolute:g} + {relative:g} × |old|.",
        "",
        "| change | cells or units |",
        "|---|---|",
        f"| units added | {total('units', 'added'):,} |",
        f"| units removed | {total('units', 'removed'):,} |",
        f"| periods added | {total('periods', 'added'):,} |",
        f"| periods removed | {total('periods', 'removed'):,} |",
        f"| history revisions | {total('revised'):,} |",
        f"| newly suppressed | {total('suppressed'):,} |",
        f"| newly released | {total('released'):,} |",
        "",
    ]
    if not any(result.values()):
        lines.append("No differences.")
        return "\n".join(lines) + "\n"
    titles = {"units": "Units added and removed", "periods": "Periods added and removed",
              "revised": "History revisions", "suppressed": "Newly suppressed cells",
              "released": "Newly released cells"}
    for kind, title in titles.items():
        if not result[kind]:
            continue
        lines += [f"## {title}", "", "| indicator | level | change | count | examples |", "|---|---|---|---|---|"]
        for (indicator, level, change), entry in sorted(
                result[kind].items(), key=lambda item: (item[0][0], LEVELS.index(item[0][1]), item[0][2])):
            shown = "; ".join(entry["examples"]) + (" …" if entry["count"] > len(entry["examples"]) else "")
            lines.append(f"| {indicator} | {level} | {change} | {entry['count']:,} | {shown} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--previous", type=Path, required=True, help="the previous release's public database")
    default_current = Path(os.environ.get("LEVEKAR_PUBLIC_DB", PROJECT_DIR / "publish" / "levekar.duckdb"))
    parser.add_argument("--current", type=Path, default=default_current,
                        help="the new public database (default: LEVEKAR_PUBLIC_DB or publish/levekar.duckdb)")
    parser.add_argument("--relative-tolerance", type=float, default=0.001)
    parser.add_argument("--absolute-tolerance", type=float, default=1e-9)
    parser.add_argument("--out", type=Path, help="write the report here (default: print it)")
    args = parser.parse_args(argv)
    try:
        result = compare(args.previous, args.current, args.relative_tolerance, args.absolute_tolerance)
    except (DiffError, duckdb.Error) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = render(result, args.previous, args.current, args.relative_tolerance, args.absolute_tolerance)
    if args.out:
        args.out.write_text(report, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
