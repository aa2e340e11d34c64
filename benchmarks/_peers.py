"""Run one benchmark problem with a peer tool (Optuna, hyperopt in this venv; NNI 3.0 in its own venv).

Each runner returns the objective values in evaluation order. The peers are benchmark-only dependencies
(the ``bench`` extra); NNI 3.0 runs in a separate interpreter (``scripts/make-nni-venv.sh``) through
``_nni_worker.py`` because it pins numpy < 2.
"""

from __future__ import annotations

import json
import logging
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from _functions import PROBLEMS

HERE = Path(__file__).resolve().parent


def run_optuna(problem: str, seed: int, n_trials: int, *, sampler: str) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("optuna").setLevel(logging.WARNING)
    spec = PROBLEMS[problem]
    chosen = (
        optuna.samplers.TPESampler(seed=seed)
        if sampler == "TPE"
        else optuna.samplers.RandomSampler(seed=seed)
    )
    study = optuna.create_study(sampler=chosen, direction="minimize")
    values = []
    for _ in range(n_trials):
        trial = study.ask()
        params = {name: _optuna_suggest(trial, name, p) for name, p in spec.space.items()}
        value = spec.objective(params)
        study.tell(trial, value)
        values.append(value)
    return values


def _optuna_suggest(trial: Any, name: str, p: dict[str, Any]) -> Any:
    kind, v = p["_type"], p["_value"]
    if kind == "uniform":
        return trial.suggest_float(name, v[0], v[1])
    if kind == "loguniform":
        return trial.suggest_float(name, v[0], v[1], log=True)
    if kind == "randint":
        return trial.suggest_int(name, v[0], v[1] - 1)
    if kind == "choice":
        return trial.suggest_categorical(name, v)
    raise ValueError(kind)


def run_hyperopt(problem: str, seed: int, n_trials: int) -> list[float]:
    import hyperopt
    import numpy as np
    from hyperopt import hp

    logging.getLogger("hyperopt").setLevel(logging.WARNING)
    spec = PROBLEMS[problem]
    space = {}
    for name, p in spec.space.items():
        kind, v = p["_type"], p["_value"]
        if kind == "uniform":
            space[name] = hp.uniform(name, v[0], v[1])
        elif kind == "loguniform":
            space[name] = hp.loguniform(name, math.log(v[0]), math.log(v[1]))
        elif kind == "randint":
            space[name] = hp.randint(name, v[0], v[1])
        elif kind == "choice":
            space[name] = hp.choice(name, v)
    values: list[float] = []

    def fn(params: dict[str, Any]) -> float:
        value = spec.objective(params)
        values.append(value)
        return value

    hyperopt.fmin(
        fn,
        space,
        algo=hyperopt.tpe.suggest,
        max_evals=n_trials,
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return values


def nni_python() -> str | None:
    """The NNI 3.0 benchmark interpreter: $TUNELAB_BENCH_NNI_PYTHON, else /work/nnibench/venv."""
    candidates = [os.environ.get("TUNELAB_BENCH_NNI_PYTHON", ""), "/work/nnibench/venv/bin/python"]
    for path in candidates:
        if path and Path(path).exists():
            return path
    return None


def run_nni(problem: str, seed: int, n_trials: int, *, algorithm: str) -> list[float]:
    python = nni_python()
    if python is None:
        raise RuntimeError("NNI venv not found (scripts/make-nni-venv.sh DIR; set TUNELAB_BENCH_NNI_PYTHON)")
    out = subprocess.run(
        [python, str(HERE / "_nni_worker.py"), algorithm, problem, str(seed), str(n_trials)],
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
        env={**os.environ, "PYTHONPATH": str(HERE), "OMP_NUM_THREADS": "1"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


PEERS = {
    "optuna:TPE": lambda prob, seed, n: run_optuna(prob, seed, n, sampler="TPE"),
    "optuna:Random": lambda prob, seed, n: run_optuna(prob, seed, n, sampler="Random"),
    "hyperopt:TPE": run_hyperopt,
    "nni:TPE": lambda prob, seed, n: run_nni(prob, seed, n, algorithm="TPE"),
    "nni:Anneal": lambda prob, seed, n: run_nni(prob, seed, n, algorithm="Anneal"),
}

if __name__ == "__main__":  # debugging aid: python _peers.py TOOL PROBLEM SEED N
    print(PEERS[sys.argv[1]](sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
