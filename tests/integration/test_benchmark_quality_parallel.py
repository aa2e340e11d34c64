"""The parallel mode of benchmarks/quality.py cannot rot: its simulated schedule keeps the protocol of a
real experiment, and a tiny run writes its records and tables and resumes from them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def parallel() -> Iterator[Any]:
    sys.path.insert(0, str(BENCH))
    try:
        import _parallel

        yield _parallel
    finally:
        sys.path.remove(str(BENCH))


class _Recorder:
    """A driver that proposes x = 0, 1, 2, ... and logs how many trials were pending at each ask."""

    def __init__(self) -> None:
        self.pending: set[int] = set()
        self.pending_at_ask: list[int] = []
        self.told: list[int] = []

    def ask(self) -> tuple[int, dict[str, Any]]:
        ident = len(self.pending_at_ask)
        self.pending_at_ask.append(len(self.pending))
        self.pending.add(ident)
        return ident, {"x": ident}

    def tell(self, handle: int, value: float) -> None:
        assert value == handle
        self.pending.remove(handle)
        self.told.append(handle)


def test_trials_finish_out_of_order_with_at_most_c_running(parallel: Any) -> None:
    rec = _Recorder()
    values = parallel.simulate(rec, lambda p: float(p["x"]), 60, 8, seed=3)
    assert values == [float(i) for i in rec.told]  # completion order, each told before the next ask
    assert sorted(rec.told) == list(range(60))
    assert rec.told != sorted(rec.told)  # out of order
    assert rec.pending_at_ask[:8] == list(range(8))  # the first C asks fill the slots
    assert max(rec.pending_at_ask) == 7
    assert rec.pending_at_ask[8:30] == [7] * 22
    # The same seed gives the same schedule; another seed another one.
    again = _Recorder()
    parallel.simulate(again, lambda p: float(p["x"]), 60, 8, seed=3)
    assert again.told == rec.told
    other = _Recorder()
    parallel.simulate(other, lambda p: float(p["x"]), 60, 8, seed=4)
    assert other.told != rec.told


def test_concurrency_one_is_the_sequential_loop(parallel: Any) -> None:
    rec = _Recorder()
    parallel.simulate(rec, lambda p: float(p["x"]), 20, 1, seed=0)
    assert rec.told == list(range(20))
    assert set(rec.pending_at_ask) == {0}


def test_a_tunelab_tuner_sees_the_running_trials_as_pending(parallel: Any) -> None:
    driver = parallel.TunelabDriver("TPE", "branin", 0)
    seen: list[int] = []
    ask = driver.ask

    def counting_ask() -> tuple[Any, dict[str, Any]]:
        seen.append(len(driver._tuner.history.pending))
        return ask()

    driver.ask = counting_ask
    values = parallel.simulate(driver, lambda p: p["x0"] ** 2 + p["x1"], 24, 4, seed=1)
    assert len(values) == 24
    assert len(driver._tuner.history.finished) == 24
    assert max(seen) == 3
    assert seen.count(3) >= 15


def test_a_tiny_parallel_run_writes_records_and_the_tables(tmp_path: Path) -> None:
    pytest.importorskip("optuna")
    results = tmp_path / "par.jsonl"
    command = [
        sys.executable,
        str(BENCH / "quality.py"),
        "--quick",
        "--concurrency",
        "4",
        "--seeds",
        "1",
        "--trials",
        "16",
        "--problems",
        "branin,mixed",
        "--tools",
        "tunelab:Auto,tunelab:TPE,optuna:TPE",
        "--results",
        str(results),
    ]
    first = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    assert first.returncode == 0, first.stdout + first.stderr
    records = [json.loads(line) for line in results.read_text().splitlines()]
    assert len(records) == 12  # 3 tools x 2 problems x concurrency 1 and 4
    assert {r["concurrency"] for r in records} == {1, 4}
    assert all(len(r["values"]) == 16 for r in records)
    assert "| tool | C=1 | C=4 | x4 |" in first.stdout
    assert "| tunelab:Auto | " in first.stdout
    assert "vs optuna:TPE: C=1: " in first.stdout
    # A second run resumes from the file: nothing to redo, and the tables are the same.
    again = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 runs to do (12 cached)" in again.stderr
    assert again.stdout == first.stdout


def test_a_bad_concurrency_is_refused_naming_the_flag() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH / "quality.py"), "--concurrency", "0", "--report-only"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode != 0
    assert "--concurrency" in out.stderr
    assert "'0'" in out.stderr
