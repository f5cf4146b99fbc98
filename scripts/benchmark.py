#!/usr/bin/env python3
"""National-scale benchmark of the full build and publish, against a one-query lower bound.

    python scripts/benchmark.py                      # 15 and 30 years, 3 runs each (about 30 minutes)
    python scripts/benchmark.py --years 15 --runs 1  # one quick measurement

For each year count it generates demo data once (not timed), then runs the whole build (scripts/levekar.py:
preflight, dbt build with every test, publish) `--runs` times and reports medians of: the wall time of each
stage (dbt parse and start-up, seeds, staging with its input tests, each intermediate folder, marts, the other
tests, publish), the total, and the peak memory of the build processes. Beside it, the lower bound: one DuckDB
query that reads the raw population and deaths files once and sums them to every geo level, sex and age group.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
    result = subprocess.run(
        [sys.executable, str(SCRIPTS_DIR / "levekar.py"), "build"],
        env=env, cwd=PROJECT_DIR, capture_output=True, text=True, check=False,
    )
    total = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    results = json.loads((target / "run_results.json").read_text())
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    # Threads overlap: a stage's wall time is from its first node's start to its last node's end.
    spans: dict[str, list[float]] = defaultdict(lambda: [float("inf"), 0.0])
    first_start, last_end = float("inf"), 0.0
    for item in results["results"]:
        timing = {t["name"]: t for t in item["timing"]}
        if "execute" not in timing:
            continue
        begin = min(_seconds(t["started_at"]) for t in timing.values())
        end = max(_seconds(t["completed_at"]) for t in timing.values())
        stage = spans[stage_of(nodes.get(item["unique_id"]) or _seed_or_other(item["unique_id"]))]
        stage[0], stage[1] = min(stage[0], begin), max(stage[1], end)
        first_start, last_end = min(first_start, begin), max(last_end, end)
    measured = {name: end - begin for name, (begin, end) in spans.items()}
    measured["dbt nodes (first start to last end)"] = last_end - first_start
    measured["dbt total (elapsed)"] = results["elapsed_time"]
    measured["outside dbt: parse, start-up, preflight, publish"] = total - results["elapsed_time"]
    measured["total wall"] = total
    measured["peak memory MB"] = peak_mb
    return measured


def _seed_or_other(unique_id: str) -> dict:
    return {"resource_type": unique_id.split(".")[0], "original_file_path": ""}


def _seconds(timestamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def lower_bound(raw_dir: Path, build_db: Path) -> float:
    """One query: read population and deaths once, sum to every level, sex and age group."""
    con = duckdb.connect()
    con.execute(f"attach '{build_db}' as build (read_only)")
    con.execute("set threads = 2")
    query = f"""
        with facts as (
            select year, grunnkrets as grunnkrets_code, sex, age, persons, 0 as deaths
            from read_parquet('{raw_dir / 'population.parquet'}')
            union all
            select year, grunnkrets, sex, age, 0, deaths from read_parquet('{raw_dir / 'deaths.parquet'}')
        ),
        ages as (select age_group, age_lo, age_hi from build.seeds.age_groups)
        select
            facts.year, mapping.fylke_code, mapping.kommune_code, mapping.bydel_code, mapping.levekarssone_code,
            facts.sex, ages.age_group, sum(facts.persons), sum(facts.deaths)
        from facts
        inner join build.intermediate.int_geography__grunnkretser as mapping using (grunnkrets_code)
        inner join ages on facts.age between ages.age_lo and ages.age_hi
        group by grouping sets (
            (facts.year, facts.sex, ages.age_group), (facts.year, ages.age_group),
            (facts.year, mapping.fylke_code, facts.sex, ages.age_group), (facts.year, mapping.fylke_code, ages.age_group),
            (facts.year, mapping.kommune_code, facts.sex, ages.age_group), (facts.year, mapping.kommune_code, ages.age_group),
            (facts.year, mapping.bydel_code, facts.sex, ages.age_group), (facts.year, mapping.bydel_code, ages.age_group),
            (facts.year, mapping.levekarssone_code, facts.sex, ages.age_group),
            (facts.year, mapping.levekarssone_code, ages.age_group)
        )
    """
    started = time.perf_counter()
    con.execute(f"create temp table lower_bound as {query}")
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


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
            print(f"[{years} years] run {run + 1}: total {measured['total wall']:.1f} s, "
                  f"peak {measured['peak memory MB']:.0f} MB", flush=True)
            runs.append(measured)
        medians = {key: statistics.median(run[key] for run in runs if key in run) for key in runs[0]}
        aggregation = medians.get("intermediate/counts", 0.0) + medians.get("intermediate/facts", 0.0)
        medians["ratio: aggregation stage (facts + counts) / lower bound"] = aggregation / medians["lower bound: one query"]
        summary[years] = medians

    print(f"\nMedians of {args.runs} run(s), {os.cpu_count()} cores" + (" (small demo)" if args.small else ""))
    keys = sorted({key for medians in summary.values() for key in medians})
    print(f"{'stage':60}" + "".join(f"{str(years) + ' years':>12}" for years in summary))
    for key in keys:
        print(f"{key:60}" + "".join(f"{summary[years].get(key, float('nan')):12.2f}" for years in summary))
    if len(summary) == 2:
        first, second = sorted(summary)
        ratio = summary[second]["total wall"] / summary[first]["total wall"]
        print(f"\ntotal wall {second} years / {first} years: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
