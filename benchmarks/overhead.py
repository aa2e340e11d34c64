"""Dispatch overhead: no-op trials per second through tunelab vs the floor of spawning the interpreter.

The floor is a bare loop that keeps ``c`` copies of the same interpreter running an empty script. The tunelab
run is a real experiment (SQLite store, Random tuner, local runner, metric channel) whose trials get their
parameters and report a final result. Both are measured in the same run, alternating, and the ratio printed:

    python benchmarks/overhead.py [--trials 200] [--concurrency 1 2] [--repeats 3]

Target (issue 2): tunelab >= 0.7x the floor at concurrency 1 and 2. NNI 3.0 manages about 0.01x here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOOP_TRIAL = "import tunelab\np = tunelab.get_next_parameter()\ntunelab.report_final_result(p['x'])\n"


def floor_rate(script: Path, trials: int, concurrency: int) -> float:
    """Trials/s of the bare loop: spawn, wait, keep ``concurrency`` in flight."""
    started = time.perf_counter()
    running: list[subprocess.Popen[bytes]] = []
    launched = 0
    while launched < trials or running:
        while launched < trials and len(running) < concurrency:
            running.append(subprocess.Popen([sys.executable, str(script)]))
            launched += 1
        running[0].wait()
        running.pop(0)
    return trials / (time.perf_counter() - started)


def tunelab_rate(workdir: Path, trials: int, concurrency: int) -> float:
    """Trials/s of a real tunelab experiment of no-op trials (manager loop time, server included)."""
    from tunelab.config import parse_config
    from tunelab.manager import create_session
    from tunelab.trial import TrialState

    config = parse_config({
        "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
        "trialCommand": f"{sys.executable} noop.py",
        "trialCodeDirectory": str(workdir),
        "trialConcurrency": concurrency,
        "maxTrialNumber": trials,
        "experimentWorkingDirectory": str(workdir / "home"),
        "tuner": {"name": "Random", "classArgs": {"seed": 0}},
        "trainingService": {"platform": "local"},
    })
    session = create_session(config)
    manager = session.manager
    assert manager is not None
    started = time.perf_counter()
    asyncio.run(manager.run())
    elapsed = time.perf_counter() - started
    succeeded = session.store.count_trials().get(TrialState.SUCCEEDED, 0)
    finals = sum(1 for t in session.store.list_trials() if t.final is not None)
    session.close()
    if succeeded != trials or finals != trials:
        raise SystemExit(f"benchmark invalid: {succeeded} succeeded, {finals} finals of {trials}")
    return trials / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "noop.py").write_text(NOOP_TRIAL)
        empty = workdir / "empty.py"
        empty.write_text("")
        os.environ.pop("TUNELAB_TRIAL_ID", None)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.trials} trials per run, "
              f"median of {args.repeats} alternating runs")
        print(f"{'concurrency':>11} | {'floor trials/s':>14} | {'tunelab trials/s':>16} | {'ratio':>6}")
        for concurrency in args.concurrency:
            floors, ours = [], []
            for _ in range(args.repeats):
                floors.append(floor_rate(empty, args.trials, concurrency))
                ours.append(tunelab_rate(workdir, args.trials, concurrency))
            floor, tl = statistics.median(floors), statistics.median(ours)
            print(f"{concurrency:>11} | {floor:>14.1f} | {tl:>16.1f} | {tl / floor:>5.2f}x")


if __name__ == "__main__":
    main()
