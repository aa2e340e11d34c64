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


def tunelab_rate(workdir: Path, trials: int, concurrency: int, service: dict[str, object] | None = None) -> float:
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
        "trainingService": service or {"platform": "local"},
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
    parser.add_argument("--dask", action="store_true", help="also measure the Dask runner (see dask_section)")
    parser.add_argument("--dask-port", type=int, default=18420, help="scheduler port of the benchmark's cluster")
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
        if args.dask:
            dask_section(workdir, args)


# == Dask runner (issue 7) ===============================================================================
def dask_section(workdir: Path, args: argparse.Namespace) -> None:
    """Per-trial dispatch overhead of the Dask runner next to the local runner, same no-op trials.

    The cluster (one single-threaded worker per concurrency slot, on 127.0.0.1) starts once, outside the
    timings; the experiments connect to it with ``schedulerAddress``, as on a real cluster. The extra
    milliseconds per trial are ``concurrency / dask_rate - concurrency / local_rate``: what one trial's
    round trip through the scheduler, the worker wrapper and the event stream costs over a local spawn.
    """
    from distributed import LocalCluster

    workers = max(args.concurrency)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      scheduler_port=args.dask_port, dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster:
        service: dict[str, object] = {"platform": "dask", "schedulerAddress": cluster.scheduler_address}
        tunelab_rate(workdir, min(args.trials, 10), 1, service)  # warm the workers' imports
        print(f"\nDask runner: local cluster of {workers} single-threaded workers on 127.0.0.1")
        print(f"{'concurrency':>11} | {'local trials/s':>14} | {'dask trials/s':>13} | {'dask extra ms/trial':>19}")
        for concurrency in args.concurrency:
            local, remote = [], []
            for _ in range(args.repeats):
                local.append(tunelab_rate(workdir, args.trials, concurrency))
                remote.append(tunelab_rate(workdir, args.trials, concurrency, service))
            lo, da = statistics.median(local), statistics.median(remote)
            extra_ms = 1000 * (concurrency / da - concurrency / lo)
            print(f"{concurrency:>11} | {lo:>14.1f} | {da:>13.1f} | {extra_ms:>19.1f}")


if __name__ == "__main__":
    main()
