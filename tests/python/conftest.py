"""Shared fixtures: a small demo pipeline built once per test session in a temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
SCRIPTS_DIR = PROJECT_DIR / "scripts"
SEEDS_DIR = PROJECT_DIR / "seeds"

if str(SCRIPTS_DIR) not in sys.path:
    sys.path.insert(0, str(SCRIPTS_DIR))


@dataclass(frozen=True)
class PipelineRun:
    raw_dir: Path
    build_db: Path
    public_db: Path
    target_dir: Path

    @property
    def log_file(self) -> Path:
        return self.build_db.parent / "build.log"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            LEVEKAR_RAW_DIR=str(self.raw_dir),
            LEVEKAR_BUILD_DB=str(self.build_db),
            LEVEKAR_PUBLIC_DB=str(self.public_db),
            DBT_TARGET_PATH=str(self.target_dir),
        )
        return env


def run_pipeline(run: PipelineRun, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPTS_DIR / "levekar.py"), "build", *extra],
        env=run.env(),
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def generate_demo(raw_dir: Path, *extra: str) -> None:
    subprocess.run(
        [sys.executable, str(SCRIPTS_DIR / "generate_demo_data.py"), "--small", "--out", str(raw_dir), *extra],
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
        text=True,
    )


def new_run(folder: Path, raw_dir: Path) -> PipelineRun:
    return PipelineRun(
        raw_dir=raw_dir,
        build_db=folder / "build.duckdb",
        public_db=folder / "publish" / "levekar.duckdb",
        target_dir=folder / "target",
    )


@pytest.fixture(scope="session")
def small_raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw_dir = tmp_path_factory.mktemp("raw")
    generate_demo(raw_dir, "--first-year", "2010", "--last-year", "2024")
    return raw_dir


@pytest.fixture(scope="session")
def small_pipeline(tmp_path_factory: pytest.TempPathFactory, small_raw_dir: Path) -> PipelineRun:
    """The small demo built and published with the default vars; every dbt test must pass."""
    run = new_run(tmp_path_factory.mktemp("pipeline"), small_raw_dir)
    result = run_pipeline(run)
    run.log_file.write_text(result.stdout)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    return run
