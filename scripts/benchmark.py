#!/usr/bin/env python3
"""National-scale benchmark of the full build and publish, against a one-query lower bound.

    python scripts/benchmark.py                      # 15 and 30 years, 3 runs each (about 30 minutes)
    python scripts/benchmark.py --years 15 --runs 1  # one quick measurement

For each year count it generates demo data once (not timed), then runs the whole build (scripts/levekar.py:
preflight, dbt build with every test, publish) `--runs` times and reports medians of: the wall time of each
stage (dbt parse and start-up, seeds, staging with its input tests, each intermediate folder, marts, the other
tests, publish), the total, and the peak memory of the build processes. Beside it, the lower bound: one DuckDB
query that reads the raw population and deaths files once and sums them to every geo level, sex and age group;
and the same query over every raw file, which is the work the aggregation stage does.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parent.parent
SCRIPTS_DIR = PROJECT_DIR / "scripts"
LAST_YEAR = 2024
# The four steps scripts/levekar.py build prints, in order (each wall time includes dbt's start-up and parse).
# Runs a command and writes the largest resident set of its process tree (kB): one fresh process per run, as
# RUSAGE_CHILDREN only ever grows within the benchmark's own process.
PEAK_WRAPPER = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); sys.exit(code)"
)
RUNNER_STEPS = ("1 preflight: raw file checks", "2 validation: seeds, staging and their tests",
                "3 models and the other tests", "4 publish")


def stage_of(node: dict) -> str:
    """The benchmark stage a dbt node belongs to: its resource type and folder."""
    resource_type = node["resource_type"]
    path = node.get("original_file_path", "")
    if resource_type == "seed":
        return "seeds"
    if resource_type == "model":
        parts = Path(path).parts
        return "/".join(parts[1:3]) if parts[1] == "intermediate" else parts[1]
    if resource_type == "test":
        attached = node.get("attached_node") or ""
        return "tests: staging" if ".stg_raw__" in attached or ".stg_klass__" in attached else "tests: other"
    return resource_type


def run_build(raw_dir: Path, work_dir: Path) -> dict[str, float]:
    """One full build and publish; returns wall seconds per stage, the total and the peak memory in MB."""
    target = work_dir / "target"
    env = dict(os.environ)
    env.update(
        LEVEKAR_RAW_DIR=str(raw_dir),
        LEVEKAR_BUILD_DB=str(work_dir / "build.duckdb"),
        LEVEKAR_PUBLIC_DB=str(work_dir / "public.duckdb"),
        DBT_TARGET_PATH=str(target),
    )
    started = time.perf_counter()
    # The runner announces its steps on stdout: the time each line arrives splits the wall time into steps.
    step_starts: list[float] = []
    output: list[str] = []
    peak_file = work_dir / "peak_rss_kb"
    with subprocess.Popen(
        [sys.executable, "-c", PEAK_WRAPPER, str(peak_file), sys.executable, "-u", str(SCRIPTS_DIR / "levekar.py"),
         "build"],
        env=env, cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if line.startswith("step "):
                step_starts.append(time.perf_counter())
    total = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit("build failed:\n" + "".join(output)[-6000:])
    if len(step_starts) != len(RUNNER_STEPS):
        raise SystemExit(f"expected {len(RUNNER_STEPS)} 'step' lines from levekar.py, got {len(step_starts)}")
    peak_mb = int(peak_file.read_text()) / 1024

    results = json.loads((target / "run_results.json").read_text())
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    # Threads overlap and dbt interleaves tests with models, so a stage's span (first node's start to last
    # node's end) overstates it; the sum of its nodes' execution times says where the work goes.
    spans: dict[str, list[float]] = defaultdict(lambda: [float("inf"), 0.0])
    busy: dict[str, float] = defaultdict(float)
    first_start, last_end = float("inf"), 0.0
    for item in results["results"]:
        timing = {t["name"]: t for t in item["timing"]}
        if "execute" not in timing:
            continue
        begin = min(_seconds(t["started_at"]) for t in timing.values())
        end = max(_seconds(t["completed_at"]) for t in timing.values())
        name = stage_of(nodes.get(item["unique_id"]) or _seed_or_other(item["unique_id"]))
        stage = spans[name]
        stage[0], stage[1] = min(stage[0], begin), max(stage[1], end)
        busy[name] += item["execution_time"]
        busy["node: " + nodes.get(item["unique_id"], {}).get("name", item["unique_id"])] = item["execution_time"]
        first_start, last_end = min(first_start, begin), max(last_end, end)
    measured = {f"span: {name}": end - begin for name, (begin, end) in spans.items()}
    measured.update({f"busy: {name}" if not name.startswith("node: ") else name: seconds
                     for name, seconds in busy.items()})
    measured["dbt nodes (first start to last end)"] = last_end - first_start
    measured["dbt total (elapsed)"] = results["elapsed_time"]
    measured["outside dbt: parse, start-up, preflight, publish"] = total - results["elapsed_time"]
    for name, begin, end in zip(RUNNER_STEPS, step_starts, step_starts[1:] + [started + total]):
        measured[f"step: {name}"] = end - begin
    measured["total wall"] = total
    measured["peak memory MB"] = peak_mb
    return measured


def _seed_or_other(unique_id: str) -> dict:
    return {"resource_type": unique_id.split(".")[0], "original_file_path": ""}


def _seconds(timestamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


# Columns of the raw files (CONTRACT.md section 2) that are keys, not counts: a file's other columns are summed.
KEY_COLUMNS = ("year", "grunnkrets", "sex", "age", "benefit", "grade", "subject")


def lower_bound(raw_dir: Path, build_db: Path, sources: tuple[str, ...] = ("population", "deaths")) -> float:
    """One query: read each source's raw file once and sum its counts to every level, sex and age group.

    The issue's bound reads population and deaths; the aggregation stage reads every source, so the same query over
    every raw file is the like-for-like bound. A file without sex or age is summed without them; its subgroup
    columns (benefit, grade, subject) are kept as groups.
    """
    con = duckdb.connect()
    con.execute(f"attach '{build_db}' as build (read_only)")
    con.execute("set threads = 2")
    # Written to be fast, as a bound should be: an equality join on single ages, the facts first summed to the
    # finest unit (14,000 grunnkretser -> about 2,500 zone keys), then expanded to age groups and every level.
    parts = []
    for source in sources:
        path = raw_dir / f"{source}.parquet"
        columns = [row[0] for row in con.execute(f"describe select * from read_parquet('{path}')").fetchall()]
        measures = [column for column in columns if column not in KEY_COLUMNS]
        subgroups = [column for column in ("benefit", "grade", "subject") if column in columns]
        sex = "facts.sex" if "sex" in columns else "'0'"
        age = "facts.age" if "age" in columns else "null::integer"
        keys = ["by_zone.year", "by_zone.sex", "group_by_age.age_group", *[f"by_zone.{c}" for c in subgroups]]
        levels = ["fylke_code", "kommune_code", "bydel_code", "levekarssone_code"]
        groups = [keys, [key for key in keys if key != "by_zone.sex"]] if "sex" in columns else [keys]
        sets = ", ".join("(" + ", ".join([*level, *group]) + ")"
                         for level in [[], *[[f"by_zone.{code}"] for code in levels]] for group in groups)
        subgroup = f"concat_ws('_', {', '.join(f'by_zone.{column}' for column in subgroups)})" if subgroups else "''"
        counts = [f"cast(sum(by_zone.{measure}) as bigint)" for measure in measures] + ["null::bigint"]
        # Every source in one shape (at most two counts per file), so that one union all holds them all.
        parts.append(f"""
            select
                '{source}' as source, by_zone.year, by_zone.fylke_code, by_zone.kommune_code, by_zone.bydel_code,
                by_zone.levekarssone_code, by_zone.sex, group_by_age.age_group, {subgroup} as subgroup,
                {counts[0]} as count_1, {counts[1]} as count_2
            from (
                select
                    facts.year, mapping.fylke_code, mapping.kommune_code, mapping.bydel_code,
                    mapping.levekarssone_code, {sex} as sex, {age} as age{''.join(f', facts.{c}' for c in subgroups)},
                    {', '.join(f'sum(facts.{m}) as {m}' for m in measures)}
                from read_parquet('{path}') as facts
                inner join build.intermediate.int_geography__grunnkretser as mapping
                    on facts.grunnkrets = mapping.grunnkrets_code
                group by all
            ) as by_zone
            left join group_by_age on by_zone.age = group_by_age.age
            group by grouping sets ({sets})""")
    query = f"""
        with group_by_age as (
            select cast(ages.range as integer) as age, groups.age_group
            from range(0, 121) as ages
            inner join build.seeds.age_groups as groups on ages.range between groups.age_lo and groups.age_hi
        )
        {" union all ".join(parts)}
    """
    started = time.perf_counter()
    con.execute(f"create temp table lower_bound as {query}")
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


def print_table(summary: dict[int, dict[str, float]], slowest: int = 15) -> None:
    """Totals, then stages by span and by busy time, then the slowest nodes of the first year count."""
    keys = sorted({key for medians in summary.values() for key in medians})
    first = summary[min(summary)]
    nodes = sorted((key for key in keys if key.startswith("node: ")), key=lambda key: -first.get(key, 0.0))
    sections = [
        ("totals", [key for key in keys if not key.startswith(("span: ", "busy: ", "node: ", "step: "))]),
        ("runner steps (wall)", [key for key in keys if key.startswith("step: ")]),
        ("stage span (wall, first start to last end; stages overlap)", [k for k in keys if k.startswith("span: ")]),
        ("stage busy (sum of node execution times; 2 threads)", [k for k in keys if k.startswith("busy: ")]),
        (f"slowest {slowest} nodes (execution time)", nodes[:slowest]),
    ]
    for title, section in sections:
        print(f"\n{title:90}" + "".join(f"{str(years) + ' years':>12}" for years in summary))
        for key in section:
            label = key.split(": ", 1)[1] if key.startswith(("span: ", "busy: ", "node: ", "step: ")) else key
            print(f"  {label[:88]:88}" + "".join(f"{summary[years].get(key, float('nan')):12.2f}"
                                               for years in summary))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--years", type=int, nargs="+", default=[15, 30], help="year counts to measure")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (medians are reported)")
    parser.add_argument("--small", action="store_true", help="the small demo instead of national scale")
    parser.add_argument("--work-dir", type=Path, default=None, help="where data and databases go (default: temp)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    work_root = args.work_dir or Path(tempfile.mkdtemp(prefix="levekar-benchmark-"))
    summary: dict[int, dict[str, float]] = {}
    for years in args.years:
        folder = work_root / f"{years}y"
        raw_dir = folder / "raw"
        generate = [sys.executable, str(SCRIPTS_DIR / "generate_demo_data.py"), "--out", str(raw_dir),
                    "--first-year", str(LAST_YEAR - years + 1), "--last-year", str(LAST_YEAR)]
        if args.small:
            generate.append("--small")
        print(f"[{years} years] generating demo data (not timed)", flush=True)
        subprocess.run(generate, cwd=PROJECT_DIR, check=True, capture_output=True)
        runs = []
        for run in range(args.runs):
            measured = run_build(raw_dir, folder)
            measured["lower bound: one query"] = lower_bound(raw_dir, folder / "build.duckdb")
            measured["lower bound: one query, every raw file"] = lower_bound(
                raw_dir, folder / "build.duckdb", tuple(sorted(path.stem for path in raw_dir.glob("*.parquet"))))
            print(f"[{years} years] run {run + 1}: total {measured['total wall']:.1f} s, "
                  f"peak {measured['peak memory MB']:.0f} MB", flush=True)
            runs.append(measured)
        medians = {key: statistics.median(run[key] for run in runs if key in run) for key in runs[0]}
        # The aggregation stage is the work of its models (facts to zones, counts to every level).
        aggregation = medians.get("busy: intermediate/facts", 0.0) + medians.get("busy: intermediate/counts", 0.0)
        medians["ratio: aggregation (facts + counts, busy) / lower bound"] = (
            aggregation / medians["lower bound: one query"])
        medians["ratio: aggregation (facts + counts, busy) / lower bound, every raw file"] = (
            aggregation / medians["lower bound: one query, every raw file"])
        summary[years] = medians

    print(f"\nMedians of {args.runs} run(s), {os.cpu_count()} cores" + (" (small demo)" if args.small else ""))
    print_table(summary)
    if len(summary) == 2:
        first, second = sorted(summary)
        ratio = summary[second]["total wall"] / summary[first]["total wall"]
        print(f"\ntotal wall {second} years / {first} years: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
