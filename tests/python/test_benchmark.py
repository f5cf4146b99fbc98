"""The benchmark script end to end on the small demo (two years, one run): it must build, split the wall time
into the runner's steps, measure memory and the lower bound, and print every section of its table."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import PROJECT_DIR, SCRIPTS_DIR

sys.path.insert(0, str(SCRIPTS_DIR))

import benchmark  # noqa: E402


def value(output: str, label: str) -> float:
    match = re.search(rf"^\s*{re.escape(label)}\s+([0-9.]+)\s*$", output, flags=re.MULTILINE)
    assert match, f"{label!r} not in the benchmark output:\n{output}"
    return float(match.group(1))


def test_benchmark_on_the_small_demo(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPTS_DIR / "benchmark.py"), "--small", "--years", "2", "--runs", "1",
         "--work-dir", str(tmp_path)],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    output = result.stdout
    for title in ("totals", "runner steps (wall)", "stage span", "stage busy", "slowest 15 nodes"):
        assert re.search(rf"^{re.escape(title)}", output, flags=re.MULTILINE), title
    total = value(output, "total wall")
    steps = [value(output, step) for step in benchmark.RUNNER_STEPS]
    # The steps are consecutive slices of the run: they add up to the total (start-up before step 1 aside).
    assert 0 < total - sum(steps) < 5
    assert all(step > 0 for step in steps)
    # dbt's own elapsed time lies within steps 2 and 3, its two invocations.
    assert value(output, "dbt total (elapsed)") < steps[1] + steps[2]
    assert 50 < value(output, "peak memory MB") < 24_000
    assert 0 < value(output, "lower bound: one query") < value(output, "lower bound: one query, every raw file")
    assert value(output, "intermediate/facts") > 0


def test_stage_of_names_the_folder_and_the_tested_layer() -> None:
    model = {"resource_type": "model", "original_file_path": "models/intermediate/facts/int_facts__by_zone.sql"}
    mart = {"resource_type": "model", "original_file_path": "models/marts/indicator_values.sql"}
    staging_test = {"resource_type": "test", "attached_node": "model.levekar.stg_raw__population"}
    other_test = {"resource_type": "test", "attached_node": "model.levekar.int_counts__by_geography"}
    assert benchmark.stage_of(model) == "intermediate/facts"
    assert benchmark.stage_of(mart) == "marts"
    assert benchmark.stage_of(staging_test) == "tests: staging"
    assert benchmark.stage_of(other_test) == "tests: other"
    assert benchmark.stage_of({"resource_type": "seed"}) == "seeds"
