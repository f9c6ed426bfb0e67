"""`make bench SCALE=small` as a smoke test: the whole benchmark runs on its own embedded
PostgreSQL, and every measurement it reports is a number. Timings are never asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from numbers import Real
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_small_benchmark_measures_everything(tmp_path: Path) -> None:
    done = subprocess.run(  # noqa: S603 (this interpreter, the bench module)
        [sys.executable, "-m", "bench", "--scale", "small", "--out", str(tmp_path / "results")],
        cwd=ROOT,
        env=os.environ | {"BENCH_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [data] = (tmp_path / "results").glob("*-small.json")
    results = json.loads(data.read_text())
    assert {p.suffix for p in (tmp_path / "results").iterdir()} == {".json", ".md", ".png"}

    scenarios = {row["scenario"] for row in results["reads"]}
    assert scenarios == {"goals_page", "instrument", "panel", "graphql_page", "graphql_nested"}
    assert results["callers"] > 0  # instruments are read by their own entes' accounts
    stacks = {row["stack"] for row in results["reads"]}
    assert {"product", "rest", "floor", "pgbench"} <= stacks
    for row in results["reads"]:
        assert row["requests"] > 0, row
        assert (row.get("non_2xx", 0), row.get("errors", 0)) == (0, 0), row  # answers, not refusals
        for figure in ("rps", "p50_ms", "p99_ms"):
            assert isinstance(row[figure], Real), row
    for name, peak in results["memory"]["peak_rss_mib"].items():
        assert isinstance(peak, Real), name
    assert [item["name"] for item in results["ingest"]] == ["goal_matrix", "status_updates"]
    for item in results["ingest"]:
        for figure in ("product_s", "copy_s"):
            assert isinstance(item[figure], Real), item
        for figure in ("product_rounds_s", "copy_rounds_s"):
            assert len(item[figure]) == results["timing"]["ingest_rounds"], item
            assert all(isinstance(value, Real) for value in item[figure]), item
    if "postgraphile" not in results["skipped"]:
        assert "postgraphile" in stacks
    plan = results["panel_plan"]
    assert plan["statements"], plan
    assert all("actual time=" in statement["plan"] for statement in plan["statements"])
    assert isinstance(plan["status_update_seq_scan"], bool)
