"""Tuning quality per trial: seven problems, tunelab tuners next to Optuna, hyperopt and NNI 3.0.

Run::

    python benchmarks/quality.py                 # full: 20 seeds x 100 trials, every tool (hours on 2 cores)
    python benchmarks/quality.py --quick         # CI: 3 seeds, tunelab TPE/Auto vs Optuna TPE
    python benchmarks/quality.py --report-only   # print the table from the results file
    python benchmarks/quality.py --concurrency 4,8 --seeds 5   # parallel race (see _parallel.py)
    python benchmarks/quality.py --concurrency 4 --quick       # CI: 2 seeds x 30 trials, 2 problems

Each (tool, problem, seed) run is appended to ``benchmarks/results/quality.jsonl`` as it finishes, so an
interrupted run resumes; tunelab runs are keyed by a hash of the tuner sources and redone after a change.
Reported: median and IQR of the simple regret (best value so far minus the optimum) after 25, 50 and all
trials, and the ratio of each median final regret to Optuna's TPE (< 1 is better). NNI columns need the
NNI venv (``scripts/make-nni-venv.sh /work/nnibench/venv`` plus ``pip install hyperopt`` there); without
it they are skipped with a note.

``--concurrency C[,C...]`` races with C trials running at once on simulated time, trials finishing out of
order (``_parallel.py``), each tool at concurrency 1 too, into ``results/quality_parallel.jsonl``: the
median regret after N completed trials, its ratio to the same tool's sequential regret, and tunelab's
default against each peer (``_parallel_report.py``). Peers there: Optuna TPE with ``constant_liar=True``
and Optuna's ``GPSampler`` (when torch imports).
"""

from __future__ import annotations

import argparse
import hashlib
import json
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

from _functions import PROBLEMS  # noqa: E402
from _peers import PEERS, nni_python  # noqa: E402

TUNELAB_TOOLS = [
    "tunelab:Auto",
    "tunelab:TPE",
    "tunelab:GP",
    "tunelab:Anneal",
    "tunelab:Evolution",
    "tunelab:Random",
]
PEER_TOOLS = ["optuna:TPE", "optuna:Random", "hyperopt:TPE", "nni:TPE", "nni:Anneal"]
BASELINE = "optuna:TPE"
CHECKPOINTS = (25, 50)


#: Tuner modules each tunelab tool depends on (besides the shared ones): a tool's cached results are
#: redone when one of its files changes, and kept when another tuner is edited.
_COMMON = ["_base.py", "_dedup.py", "_history.py", "_startup.py", "_args.py", "_inprocess.py", "_registry.py"]
_SOURCES = {
    "TPE": ["_tpe.py", "_kde.py", "_parzen.py"],
    "GP": ["_gp.py", "_gpmodel.py"],
    # Auto runs TPE only on nested or mostly categorical spaces, or after gp_max_trials (200): never on
    # the seven problems here, which are flat and mostly numeric (Auto runs its GP on all of them).
    "Auto": ["_auto.py", "_gp.py", "_gpmodel.py"],
    "Anneal": ["_anneal.py"],
    "Evolution": ["_evolution.py"],
    "Random": ["_random.py"],
}


def tunelab_revision(tool: str = "") -> str:
    """A hash of the sources behind a tunelab tool (all tuner sources for an unknown tool)."""
    digest = hashlib.sha256()
    root = HERE.parent / "src" / "tunelab"
    name = tool.split(":", 1)[-1]
    files = (
        [root / "tuners" / f for f in (*_COMMON, *_SOURCES[name])]
        if name in _SOURCES
        else sorted((root / "tuners").rglob("*.py"))
    )
    for path in sorted([*files, *(root / "space").rglob("*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def run_tunelab(name: str, problem: str, seed: int, n_trials: int) -> list[float]:
    from tunelab.tuners import create_tuner

    spec = PROBLEMS[problem]
    tuner = create_tuner(name, spec.space, optimize_mode="minimize", seed=seed)
    values = []
    for _ in range(n_trials):
        suggestion = tuner.ask()
        value = spec.objective(suggestion.parameters)
        tuner.tell(suggestion, value)
        values.append(value)
    return values


def runner(tool: str) -> Callable[[str, int, int], list[float]]:
    if tool.startswith("tunelab:"):
        name = tool.split(":", 1)[1]
        return lambda problem, seed, n: run_tunelab(name, problem, seed, n)
    return PEERS[tool]


def _job(tool: str, problem: str, seed: int, n_trials: int) -> dict[str, Any]:
    start = time.perf_counter()
    values = runner(tool)(problem, seed, n_trials)
    return {
        "tool": tool,
        "problem": problem,
        "seed": seed,
        "n": n_trials,
        "values": values,
        "seconds": round(time.perf_counter() - start, 2),
    }


def _parallel_job(tool: str, problem: str, seed: int, n_trials: int, concurrency: int) -> dict[str, Any]:
    from _parallel import run_parallel

    start = time.perf_counter()
    values = run_parallel(tool, problem, seed, n_trials, concurrency)
    return {
        "tool": tool,
        "problem": problem,
        "seed": seed,
        "n": n_trials,
        "concurrency": concurrency,
        "values": values,
        "seconds": round(time.perf_counter() - start, 2),
    }


def load(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def key(record: dict[str, Any]) -> tuple[str, str, int, int, str]:
    return (record["tool"], record["problem"], record["seed"], record["n"], record.get("rev", ""))


def run_all(
    tools: list[str], problems: list[str], seeds: int, n_trials: int, path: Path, workers: int
) -> None:
    done = {key(r) for r in load(path)}
    jobs = []
    for tool in tools:
        for problem in problems:
            for seed in range(seeds):
                tag = tunelab_revision(tool) if tool.startswith("tunelab:") else ""
                if (tool, problem, seed, n_trials, tag) not in done:
                    jobs.append(((tool, problem, seed, n_trials), tag))
    _execute(_job, jobs, path, workers, len(done))


def run_parallel_all(
    tools: list[str],
    problems: list[str],
    seeds: int,
    n_trials: int,
    levels: list[int],
    path: Path,
    workers: int,
) -> None:
    """Every (tool, problem, seed, concurrency) of the parallel race not yet in ``path``."""
    done = {(*key(r), r["concurrency"]) for r in load(path)}
    jobs = []
    for tool in tools:
        tag = tunelab_revision(tool) if tool.startswith("tunelab:") else ""
        for problem in problems:
            for seed in range(seeds):
                for level in levels:
                    if (tool, problem, seed, n_trials, tag, level) not in done:
                        jobs.append(((tool, problem, seed, n_trials, level), tag))
    _execute(_parallel_job, jobs, path, workers, len(done))


def _execute(
    fn: Callable[..., dict[str, Any]],
    jobs: list[tuple[tuple[Any, ...], str]],
    path: Path,
    workers: int,
    cached: int,
) -> None:
    """Run ``fn(*args)`` for each job, appending each record (tagged with its revision) as it finishes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"{len(jobs)} runs to do ({cached} cached) -> {path}", file=sys.stderr)

    def save(record: dict[str, Any], tag: str) -> None:
        record["rev"] = tag
        with path.open("a") as fh:
            fh.write(json.dumps(record) + "\n")
        level = f" C={record['concurrency']}" if "concurrency" in record else ""
        print(
            f"  {record['tool']:<18} {record['problem']:<16} seed {record['seed']:>2}{level}: "
            f"{min(record['values']):.4g} ({record['seconds']} s)",
            file=sys.stderr,
        )

    if workers <= 1:
        for args, tag in jobs:
            save(fn(*args), tag)
        return
    with ProcessPoolExecutor(workers) as pool:
        futures = [(pool.submit(fn, *args), tag) for args, tag in jobs]
        for future, tag in futures:
            save(future.result(), tag)


def regrets(records: list[dict[str, Any]], problem: str, at: int) -> np.ndarray:
    optimum = PROBLEMS[problem].optimum
    return np.array([max(min(r["values"][:at]) - optimum, 0.0) for r in records])


def report(tools: list[str], problems: list[str], seeds: int, n_trials: int, path: Path) -> str:
    records = load(path)
    lines = [
        f"# quality: {seeds} seeds x {n_trials} trials (median regret [q25, q75]; ratio = median / {BASELINE})",
        "",
    ]
    finals: dict[tuple[str, str], float] = {}
    for problem in problems:
        base = [
            r for r in records if r["tool"] == BASELINE and r["problem"] == problem and r["n"] == n_trials
        ]
        base = [r for r in base if r["seed"] < seeds]
        if base:
            finals[(BASELINE, problem)] = float(np.median(regrets(base, problem, n_trials)))
        lines.append(f"## {problem}")
        lines.append("| tool | final | IQR | @25 | @50 | ratio |")
        lines.append("|---|---|---|---|---|---|")
        for tool in tools:
            tag = tunelab_revision(tool) if tool.startswith("tunelab:") else ""
            runs = {
                r["seed"]: r
                for r in records
                if r["tool"] == tool
                and r["problem"] == problem
                and r["n"] == n_trials
                and r.get("rev", "") == tag
            }
            chosen = [runs[s] for s in range(seeds) if s in runs]
            if not chosen:
                continue
            final = regrets(chosen, problem, n_trials)
            q25, med, q75 = np.percentile(final, [25, 50, 75])
            finals[(tool, problem)] = float(med)
            cps = [float(np.median(regrets(chosen, problem, c))) for c in CHECKPOINTS]
            partial = "" if len(chosen) == seeds else f" ({len(chosen)} seeds)"
            lines.append(
                f"| {tool}{partial} | {med:.4g} | [{q25:.3g}, {q75:.3g}] | {cps[0]:.4g} | {cps[1]:.4g} | "
                f"{_ratio(med, finals.get((BASELINE, problem)))} |"
            )
        lines.append("")
    lines.append("## summary (median final regret)")
    for tool in tools:
        if not tool.startswith("tunelab:") or not any(t == tool for t, _ in finals):
            continue
        wins = [
            p
            for p in problems
            if (tool, p) in finals and (BASELINE, p) in finals and finals[(tool, p)] < finals[(BASELINE, p)]
        ]
        worse = [
            p
            for p in problems
            if (tool, p) in finals
            and (BASELINE, p) in finals
            and finals[(tool, p)] > 1.1 * finals[(BASELINE, p)]
        ]
        best = [
            p
            for p in problems
            if (tool, p) in finals and finals[(tool, p)] <= min(v for (t, q), v in finals.items() if q == p)
        ]
        lines.append(
            f"- {tool}: beats {BASELINE} on {len(wins)}/{len(problems)}; best of all tools on "
            f"{len(best)}/{len(problems)} ({', '.join(best) or '-'}); >10% worse than {BASELINE} on: "
            f"{', '.join(worse) or 'none'}"
        )
    if nni_python() is None:
        lines.append("- NNI columns skipped: no NNI 3.0 venv (scripts/make-nni-venv.sh /work/nnibench/venv)")
    return "\n".join(lines)


def _ratio(value: float, base: float | None) -> str:
    if base is None:
        return "-"
    if base == 0:
        return "=" if value == 0 else "inf"
    return f"{value / base:.2f}"


PARALLEL_TOOLS = ["tunelab:Auto", "tunelab:TPE", "optuna:TPE", "optuna:GP"]
#: --quick --concurrency: a CI-sized race (about 10 s on one core).
PARALLEL_QUICK = {
    "tools": ["tunelab:Auto", "tunelab:TPE", "optuna:TPE"],
    "problems": "branin,mixed",
    "trials": 30,
}


def parallel_report(
    tools: list[str], problems: list[str], seeds: int, n_trials: int, levels: list[int], path: Path,
    notes: list[str],
) -> str:
    from _parallel_report import cells, render

    current = {t: tunelab_revision(t) if t.startswith("tunelab:") else "" for t in tools}
    records = [
        r
        for r in load(path)
        if r["tool"] in current and r.get("rev", "") == current[r["tool"]] and r["concurrency"] in levels
    ]
    return render(cells(records, seeds, n_trials), tools, problems, levels, seeds, n_trials, notes)


def parse_levels(text: str) -> list[int]:
    """``--concurrency 4,8`` -> [1, 4, 8] (the sequential run is always measured beside them)."""
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        levels = []
    if not levels or any(c < 1 for c in levels):
        raise SystemExit(f"--concurrency: expected positive integers like 4 or 4,8, got {text!r}")
    return sorted({1, *levels})


def main_parallel(args: argparse.Namespace) -> None:
    from _parallel import unavailable

    levels = parse_levels(args.concurrency)
    quick = PARALLEL_QUICK if args.quick else {}
    seeds = args.seeds or (2 if args.quick else 5)
    n_trials = args.trials or int(quick.get("trials", 100))
    tools = args.tools.split(",") if args.tools else list(quick.get("tools", PARALLEL_TOOLS))
    problems = (args.problems or str(quick.get("problems", ",".join(PROBLEMS)))).split(",")
    notes = [reason for reason in map(unavailable, tools) if reason]
    for reason in notes:
        print(reason, file=sys.stderr)
    tools = [t for t in tools if unavailable(t) is None]
    notes.append("hyperopt and NNI do not race in parallel: hyperopt has no ask/tell API (its parallel modes "
                 "need MongoDB or Spark), NNI runs sequentially in its own venv")
    path = args.results or HERE / "results" / "quality_parallel.jsonl"
    if not args.report_only:
        run_parallel_all(tools, problems, seeds, n_trials, levels, path, args.workers)
    text = parallel_report(tools, problems, seeds, n_trials, levels, path, notes)
    print(text)
    (path.parent / "quality_parallel_report.md").write_text(text + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 seeds; tunelab TPE/Auto vs Optuna TPE")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--trials", type=int, default=None, help="trials per run (100)")
    parser.add_argument("--tools", default=None, help="comma-separated, e.g. tunelab:TPE,optuna:TPE")
    parser.add_argument("--problems", default=None, help="comma-separated (all seven)")
    parser.add_argument("--results", type=Path, default=None, help="the jsonl file (benchmarks/results/...)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument(
        "--concurrency",
        default=None,
        help="parallel race: e.g. 8 or 4,8 trials pending at once on simulated time (plus 1, sequential)",
    )
    args = parser.parse_args(argv)
    if args.concurrency is not None:
        main_parallel(args)
        return
    seeds = args.seeds or (3 if args.quick else 20)
    n_trials = args.trials or 100
    results = args.results or HERE / "results" / "quality.jsonl"
    if args.tools:
        tools = args.tools.split(",")
    elif args.quick:
        tools = ["tunelab:Auto", "tunelab:TPE", BASELINE]
    else:
        tools = TUNELAB_TOOLS + PEER_TOOLS
    if nni_python() is None:
        tools = [t for t in tools if not t.startswith("nni:")]
    problems = (args.problems or ",".join(PROBLEMS)).split(",")
    if not args.report_only:
        run_all(tools, problems, seeds, n_trials, results, args.workers)
    text = report(tools, problems, seeds, n_trials, results)
    print(text)
    (results.parent / "quality_report.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
