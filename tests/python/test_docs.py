"""dbt docs build offline into one self-contained page, with every public column described and the exposures."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import PROJECT_DIR, PipelineRun
from levekar import dbt_executable


def test_static_docs_generate_offline(small_pipeline: PipelineRun, tmp_path: Path):
    env = small_pipeline.env()
    env["DBT_TARGET_PATH"] = str(tmp_path)
    result = subprocess.run(
        [dbt_executable(), "docs", "generate", "--static",
         "--profiles-dir", str(PROJECT_DIR), "--project-dir", str(PROJECT_DIR)],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    page = (tmp_path / "static_index.html").read_text(encoding="utf-8")
    assert "indicator_values" in page and "statistics_bank_export" in page
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    catalog = json.loads((tmp_path / "catalog.json").read_text())
    for node_id, node in manifest["nodes"].items():
        if node["resource_type"] == "model" and node["name"] in ("indicator_values", "geography", "indicators"):
            assert node["description"]
            undocumented = [column for column in catalog["nodes"][node_id]["columns"]
                            if not node["columns"].get(column, {}).get("description")]
            assert not undocumented, (node["name"], undocumented)
    exposures = {exposure["name"] for exposure in manifest["exposures"].values()}
    assert {"statistics_bank_export", "jsonstat_api", "zone_profiles"} <= exposures
