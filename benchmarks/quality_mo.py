"""Multi-objective tuning quality: hypervolume after N trials, tunelab's tuners next to Optuna 5's samplers.

Run::

    python benchmarks/quality_mo.py --workers 2      # full: 10 seeds x 100 trials x 5 problems x 7 tools
    python benchmarks/quality_mo.py --quick          # CI: 3 seeds, tunelab Auto vs Optuna TPE and NSGA-II
    python benchmarks/quality_mo.py --report-only    # print the table from the results file

Problems (``_functions_mo.py``): ZDT1, ZDT2, ZDT3 in 5 variables, DTLZ2 with 3 objectives in 6 variables and
``mo_mixed`` (a model-family choice with continuous knobs, error against cost), each with a fixed reference
point chosen by one rule before any result was seen: BoTorch's for its ZDT and DTLZ test problems ((11, 11)
and (1.1, 1.1, 1.1), the usual ones at Bayesian-optimisation budgets; the evolutionary (1.1, 1.1) left every
tool's ZDT2 hypervolume at 0 after 100 trials in 5 variables), and for ``mo_mixed`` the largest useful error
and cost (0.5, 1.0). Hypervolumes are divided by the true front's, so 1.0 is the whole front; near 1 the
report's gap to the front (1 - normalised HV) shows the differences. Tools: tunelab Auto (the
default, MOTPE for several objectives), MOTPE, NSGA2, Random; Optuna's ``TPESampler`` and
``NSGAIISampler`` (default arguments, seeded) and ``RandomSampler``, all with the same seeds and budget.

Each (tool, problem, seed) run is appended to ``benchmarks/results/quality_mo.jsonl`` with every trial's
objective values, so an interrupted run resumes and the report can be recomputed; tunelab runs are keyed by a
hash of the multi-objective tuner sources and redone after a change. Reported: median and IQR of the
normalised hypervolume after 25, 50 and all trials, the ratio of tunelab's default median to each Optuna
sampler's (> 1 is better), the problems where the default beats both, and MOTPE's time per ask near the end.
Seeds start at ``--first-seed`` (0): tune on other seeds (100 and up) than the reported ones.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

# One BLAS thread: the runs are small and several share two cores (set before numpy loads).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _functions_mo import PROBLEMS  # noqa: E402
from _peers import _optuna_suggest  # noqa: E402

DEFAULT = "tunelab:Auto"
TUNELAB_TOOLS = [DEFAULT, "tunelab:MOTPE", "tunelab:NSGA2", "tunelab:Random"]
OPTUNA_SAMPLERS = ["optuna:TPE", "optuna:NSGAII"]
PEER_TOOLS = [*OPTUNA_SAMPLERS, "optuna:Random"]
CHECKPOINTS = (25, 50)
#: Asks timed for the speed figure: the last ten of a 100-trial run.
TIMED_ASKS = 10

_COMMON = ["_base.py", "_dedup.py", "_history.py", "_startup.py", "_args.py", "_inprocess.py", "_registry.py"]
_SOURCES = {
    # Auto with several objectives runs MOTPE.
    "Auto": ["_auto.py", "_motpe.py", "_tpe.py", "_kde.py", "_parzen.py"],
    "MOTPE": ["_motpe.py", "_tpe.py", "_kde.py", "_parzen.py"],
    "NSGA2": ["_nsga2.py", "_motpe.py"],
    "Random": ["_random.py"],
}


def tunelab_revision(tool: str) -> str:
    """A hash of the sources behind a tunelab tool, with the objectives package and the space."""
    digest = hashlib.sha256()
    root = HERE.parent / "src" / "tunelab"
    name = tool.split(":", 1)[-1]
    files = (
        [root / "tuners" / f for f in (*_COMMON, *_SOURCES[name])]
        if name in _SOURCES
        else sorted((root / "tuners").rglob("*.py"))
    )
    extra = [*(root / "space").rglob("*.py"), *(root / "objectives").rglob("*.py")]
    for path in sorted([*files, *extra]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


Run = tuple[list[list[float]], list[float]]  # objective vectors in trial order, seconds per ask


def run_tunelab(name: str, problem: str, seed: int, n_trials: int) -> Run:
    from tunelab.trial import TrialState
    from tunelab.tuners import History, Observation, create_tuner_from_config

    spec = PROBLEMS[problem]
    objectives = [f"{o}:minimize" for o in spec.objectives]
    tuner = create_tuner_from_config(name, spec.space, {"seed": seed}, objectives=objectives)
    history = History()
    points, asks = [], []
    for i in range(n_trials):
        start = time.perf_counter()
        params = tuner.suggest(history)
        asks.append(time.perf_counter() - start)
        point = spec.evaluate(params)
        metrics = dict(zip(spec.objectives, point, strict=True))
        history.finished.append(Observation(str(i), i, params, TrialState.SUCCEEDED, point[0], (), metrics))
        points.append(point)
    return points, asks


def run_optuna(sampler: str, problem: str, seed: int, n_trials: int) -> Run:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("optuna").setLevel(logging.WARNING)
    spec = PROBLEMS[problem]
    samplers: dict[str, Callable[[], Any]] = {
        "TPE": lambda: optuna.samplers.TPESampler(seed=seed),
        "NSGAII": lambda: optuna.samplers.NSGAIISampler(seed=seed),
        "Random": lambda: optuna.samplers.RandomSampler(seed=seed),
    }
    study = optuna.create_study(sampler=samplers[sampler](), directions=["minimize"] * len(spec.objectives))
    points, asks = [], []
    for _ in range(n_trials):
        start = time.perf_counter()
        trial = study.ask()
        params = {name: _optuna_suggest(trial, name, p) for name, p in spec.space.items()}
        asks.append(time.perf_counter() - start)
        point = spec.evaluate(params)
        study.tell(trial, point)
        points.append(point)
    return points, asks


def runner(tool: str) -> Callable[[str, int, int], Run]:
    family, name = tool.split(":", 1)
    if family == "tunelab":
        return lambda problem, seed, n: run_tunelab(name, problem, seed, n)
    return lambda problem, seed, n: run_optuna(name, problem, seed, n)


def _job(tool: str, problem: str, seed: int, n_trials: int) -> dict[str, Any]:
    start = time.perf_counter()
    points, asks = runner(tool)(problem, seed, n_trials)
    return {
        "tool": tool,
        "problem": problem,
        "seed": seed,
        "n": n_trials,
        "points": points,
        "ask_seconds": [round(a, 5) for a in asks[-TIMED_ASKS:]],
        "seconds": round(time.perf_counter() - start, 2),
    }


def load(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def key(record: dict[str, Any]) -> tuple[str, str, int, int, str]:
    return (record["tool"], record["problem"], record["seed"], record["n"], record.get("rev", ""))


def revision(tool: str) -> str:
    if tool.startswith("tunelab:"):
        return tunelab_revision(tool)
    import optuna

    return f"optuna-{optuna.__version__}"


def run_all(
    tools: list[str], problems: list[str], seeds: list[int], n_trials: int, path: Path, workers: int
) -> None:
    done = {key(r) for r in load(path)}
    tags = {tool: revision(tool) for tool in tools}
    jobs = [
        (tool, problem, seed, n_trials)
        for tool in tools
        for problem in problems
        for seed in seeds
        if (tool, problem, seed, n_trials, tags[tool]) not in done
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"{len(jobs)} runs to do ({len(done)} cached) -> {path}", file=sys.stderr)

    def save(record: dict[str, Any]) -> None:
        record["rev"] = tags[record["tool"]]
        with path.open("a") as fh:
            fh.write(json.dumps(record) + "\n")
        hv = normalised_hv(record, record["n"])
        print(
            f"  {record['tool']:<15} {record['problem']:<9} seed {record['seed']:>3}: HV {hv:.4f} "
            f"({record['seconds']} s)",
            file=sys.stderr,
        )

    if workers <= 1:
        for job in jobs:
            save(_job(*job))
        return
    with ProcessPoolExecutor(workers) as pool:
        for future in [pool.submit(_job, *job) for job in jobs]:
            save(future.result())


def normalised_hv(record: dict[str, Any], at: int) -> float:
    from tunelab.objectives import hypervolume

    spec = PROBLEMS[record["problem"]]
    points = np.array(record["points"][:at], dtype=float)
    return hypervolume(points, np.array(spec.reference)) / spec.true_hv


def _chosen(
    records: list[dict[str, Any]], tool: str, problem: str, seeds: list[int], n: int
) -> list[dict[str, Any]]:
    tag = revision(tool)
    runs = {
        r["seed"]: r
        for r in records
        if r["tool"] == tool and r["problem"] == problem and r["n"] == n and r.get("rev", "") == tag
    }
    return [runs[s] for s in seeds if s in runs]


def report(tools: list[str], problems: list[str], seeds: list[int], n_trials: int, path: Path) -> str:
    records = load(path)
    lines = [
        f"# quality_mo: seeds {seeds[0]}-{seeds[-1]} x {n_trials} trials (normalised hypervolume: "
        "median [q25, q75]; ratio = tunelab default's median / the sampler's, > 1 is better)",
        "",
    ]
    medians: dict[tuple[str, str], float] = {}
    for problem in problems:
        spec = PROBLEMS[problem]
        lines.append(f"## {problem} (reference {spec.reference}, true front HV {spec.true_hv:.4f})")
        lines.append("| tool | final | IQR | @25 | @50 | gap to front (1 - final) |")
        lines.append("|---|---|---|---|---|---|")
        for tool in tools:
            chosen = _chosen(records, tool, problem, seeds, n_trials)
            if not chosen:
                continue
            final = np.array([normalised_hv(r, n_trials) for r in chosen])
            q25, med, q75 = np.percentile(final, [25, 50, 75])
            medians[(tool, problem)] = float(med)
            cps = [float(np.median([normalised_hv(r, c) for r in chosen])) for c in CHECKPOINTS]
            partial = "" if len(chosen) == len(seeds) else f" ({len(chosen)} seeds)"
            lines.append(
                f"| {tool}{partial} | {med:.4f} | [{q25:.4f}, {q75:.4f}] | {cps[0]:.4f} | {cps[1]:.4f} | "
                f"{1 - med:.4f} |"
            )
        lines.append("")
    samplers = [s for s in OPTUNA_SAMPLERS if s in tools]
    if DEFAULT in tools and samplers:
        lines.append(f"## {DEFAULT} against Optuna (ratio of median final HV, > 1 is better)")
        lines.append("| problem | " + " | ".join(samplers) + " | beats both |")
        lines.append("|---|" + "---|" * (len(samplers) + 1))
        wins = []
        for problem in problems:
            if (DEFAULT, problem) not in medians or any((s, problem) not in medians for s in samplers):
                continue
            ours = medians[(DEFAULT, problem)]
            ratios = [_ratio(ours, medians[(s, problem)]) for s in samplers]
            beats = all(r > 1 for r in ratios)
            if beats:
                wins.append(problem)
            lines.append(
                f"| {problem} | "
                + " | ".join(f"{r:.3f}" for r in ratios)
                + f" | {'yes' if beats else 'no'} |"
            )
        lines.append("")
        lines.append(
            f"- {DEFAULT} beats every Optuna sampler's median on {len(wins)}/{len(problems)} problems "
            f"({', '.join(wins) or '-'}); goal: >= 4/5"
        )
    speed = []
    for problem, label in (("zdt1", "2 objectives"), ("dtlz2", "3 objectives")):
        chosen = _chosen(records, "tunelab:MOTPE", problem, seeds, n_trials) if problem in problems else []
        asks = [a for r in chosen for a in r.get("ask_seconds", [])]
        if asks:
            speed.append(f"{label} ({problem}) {1000 * float(np.median(asks)):.1f} ms")
    if speed:
        lines.append(
            f"- MOTPE time per ask, median of asks {n_trials - TIMED_ASKS + 1}-{n_trials} over the seeds: "
            + "; ".join(speed)
        )
    return "\n".join(lines)


def _ratio(ours: float, theirs: float) -> float:
    """ours / theirs; two empty fronts tie (1.0) rather than divide by zero."""
    if theirs > 0:
        return ours / theirs
    return float("inf") if ours > 0 else 1.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="3 seeds; tunelab Auto vs Optuna TPE and NSGA-II"
    )
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (10; 3 with --quick)")
    parser.add_argument("--first-seed", type=int, default=0, help="seeds run from here (tune on 100+)")
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--tools", default=None, help="comma-separated, e.g. tunelab:MOTPE,optuna:TPE")
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--results", type=Path, default=HERE / "results" / "quality_mo.jsonl")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    count = args.seeds or (3 if args.quick else 10)
    seeds = list(range(args.first_seed, args.first_seed + count))
    if args.tools:
        tools = args.tools.split(",")
    elif args.quick:
        tools = [DEFAULT, *OPTUNA_SAMPLERS]
    else:
        tools = TUNELAB_TOOLS + PEER_TOOLS
    problems = args.problems.split(",")
    for name in problems:
        if name not in PROBLEMS:
            parser.error(f"--problems: unknown problem {name!r}; known: {', '.join(PROBLEMS)}")
    if not args.report_only:
        run_all(tools, problems, seeds, args.trials, args.results, args.workers)
    text = report(tools, problems, seeds, args.trials, args.results)
    print(text)
    (args.results.parent / "quality_mo_report.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
