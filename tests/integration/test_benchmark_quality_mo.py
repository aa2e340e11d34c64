"""benchmarks/quality_mo.py cannot rot: a tiny run end to end, and its true-front hypervolumes hold."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tunelab.objectives import hypervolume

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def test_a_tiny_quick_run_writes_records_and_the_table(tmp_path: Path) -> None:
    pytest.importorskip("optuna")
    results = tmp_path / "mo.jsonl"
    command = [
        sys.executable,
        str(BENCH / "quality_mo.py"),
        "--quick",
        "--seeds",
        "1",
        "--trials",
        "14",
        "--problems",
        "zdt1,mo_mixed",
        "--tools",
        "tunelab:Auto,tunelab:MOTPE,optuna:TPE,optuna:NSGAII",
        "--results",
        str(results),
    ]
    first = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    assert first.returncode == 0, first.stdout + first.stderr
    records = [json.loads(line) for line in results.read_text().splitlines()]
    assert len(records) == 8
    assert all(len(r["points"]) == 14 and len(r["points"][0]) == 2 for r in records)
    assert "| tunelab:Auto | " in first.stdout
    assert "beats every Optuna sampler's median on" in first.stdout
    assert "MOTPE time per ask" in first.stdout
    # A second run resumes from the file: nothing to redo, and the table is the same.
    again = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 runs to do (8 cached)" in again.stderr
    assert again.stdout == first.stdout
    assert len(results.read_text().splitlines()) == 8


def test_true_fronts_bound_what_any_search_can_reach() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        from _functions_mo import PROBLEMS, ZDT_DIM, dtlz2, zdt1, zdt3
    finally:
        sys.path.remove(str(BENCH))
    rng = np.random.default_rng(0)
    # Points on the true front (g at its minimum) reach the whole hypervolume; random ones stay below it.
    on_front = {
        "zdt1": [
            zdt1({"x0": a, **{f"x{i}": 0.0 for i in range(1, ZDT_DIM)}}) for a in np.linspace(0, 1, 2001)
        ],
        "zdt3": [
            zdt3({"x0": a, **{f"x{i}": 0.0 for i in range(1, ZDT_DIM)}}) for a in np.linspace(0, 1, 4001)
        ],
        "dtlz2": [
            dtlz2({"x0": a, "x1": b, **{f"x{i}": 0.5 for i in range(2, 6)}})
            for a in np.linspace(0, 1, 41)
            for b in np.linspace(0, 1, 41)
        ],
    }
    for name, points in on_front.items():
        problem = PROBLEMS[name]
        share = hypervolume(np.array(points), np.array(problem.reference)) / problem.true_hv
        assert 0.97 < share <= 1 + 1e-9, (name, share)
    for problem in PROBLEMS.values():
        points = []
        for _ in range(3000):
            params = {}
            for key, p in problem.space.items():
                kind, v = p["_type"], p["_value"]
                if kind == "uniform":
                    params[key] = rng.uniform(v[0], v[1])
                elif kind == "loguniform":
                    params[key] = float(np.exp(rng.uniform(np.log(v[0]), np.log(v[1]))))
                else:
                    params[key] = v[int(rng.integers(len(v)))]
            points.append(problem.evaluate(params))
        share = hypervolume(np.array(points), np.array(problem.reference)) / problem.true_hv
        assert 0 < share < 1, (problem.name, share)
