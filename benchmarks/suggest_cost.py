"""Suggest latency at 100 / 1,000 / 10,000 trials of history (6-D), and the digits-MLP seed workload.

Run::

    python benchmarks/suggest_cost.py            # latency: tunelab TPE vs Optuna 5 TPE (multivariate default)
    python benchmarks/suggest_cost.py --quick    # CI: 100 and 1,000 trials, fewer repeats
    python benchmarks/suggest_cost.py --digits   # + digits MLP, 20 trials x 5 seeds, mean best accuracy

Latency is the median wall time of one suggestion made right after a new result arrived (so the model
is refitted each time, as in a real experiment), over ``--repeat`` suggestions. Targets: tunelab TPE
<= 1 ms at 1,000 trials and <= 3 ms at 10,000.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _functions import PROBLEMS  # noqa: E402

SPACE = PROBLEMS["hartmann6"].space
OBJECTIVE = PROBLEMS["hartmann6"].objective


def _random_params(rng: np.random.Generator) -> dict[str, float]:
    return {name: float(rng.random()) for name in SPACE}


def tunelab_latency(n: int, repeat: int, name: str = "TPE") -> tuple[float, float]:
    from tunelab.space import parse_search_space
    from tunelab.trial import TrialState
    from tunelab.tuners import History, Observation, create_tuner_from_config

    rng = np.random.default_rng(0)
    history = History()
    for i in range(n):
        params = _random_params(rng)
        history.finished.append(Observation(f"h{i}", i, params, TrialState.SUCCEEDED, OBJECTIVE(params)))
    tuner = create_tuner_from_config(
        name, parse_search_space(SPACE), {"optimize_mode": "minimize", "seed": 0}
    )
    tuner.suggest(history)  # warm the incremental caches as a running experiment would have
    times = []
    for i in range(repeat):
        params = _random_params(rng)
        history.finished.append(Observation(f"r{i}", n + i, params, TrialState.SUCCEEDED, OBJECTIVE(params)))
        start = time.perf_counter()
        tuner.suggest(history)
        times.append(time.perf_counter() - start)
    return _summary(times)


def _summary(times: list[float]) -> tuple[float, float]:
    """(median, minimum) in milliseconds: on a shared machine the minimum is the better cost estimate."""
    return statistics.median(times) * 1000, min(times) * 1000


def optuna_latency(n: int, repeat: int) -> tuple[float, float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {k: optuna.distributions.FloatDistribution(0.0, 1.0) for k in SPACE}
    rng = np.random.default_rng(0)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0), direction="minimize")
    trials = []
    for _ in range(n):
        params = _random_params(rng)
        trials.append(optuna.trial.create_trial(params=params, distributions=dists, value=OBJECTIVE(params)))
    study.add_trials(trials)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        trial = study.ask()
        params = {k: trial.suggest_float(k, 0.0, 1.0) for k in SPACE}
        times.append(time.perf_counter() - start)
        study.tell(trial, OBJECTIVE(params))
    return _summary(times)


# -- digits MLP (the seed tutorial's workload, in-process) --------------------------------------------
def digits_accuracy(params: dict[str, Any]) -> float:
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    model = MLPClassifier(
        hidden_layer_sizes=(int(params["hidden_size1"]), int(params["hidden_size2"])),
        solver="sgd",
        batch_size=int(params["batch_size"]),
        learning_rate_init=float(params["lr"]),
        momentum=float(params["momentum"]),
        random_state=0,
    )
    classes = np.unique(y)
    for _ in range(5):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.partial_fit(x_train, y_train, classes=classes)
    return float(model.score(x_test, y_test))


def digits(seeds: int, trials: int) -> None:
    import optuna

    from tunelab.demo import SEARCH_SPACE
    from tunelab.tuners import optimize

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ours, theirs = [], []
    for seed in range(seeds):
        result = optimize(
            digits_accuracy, SEARCH_SPACE, n_trials=trials, tuner="TPE", optimize_mode="maximize", seed=seed
        )
        ours.append(float(result.best_value or 0.0))
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed), direction="maximize")

        def objective(trial: Any) -> float:
            params = {
                k: (
                    trial.suggest_categorical(k, v["_value"])
                    if v["_type"] == "choice"
                    else trial.suggest_float(k, *v["_value"], log=v["_type"] == "loguniform")
                )
                for k, v in SEARCH_SPACE.items()
            }
            return digits_accuracy(params)

        study.optimize(objective, n_trials=trials)
        theirs.append(float(study.best_value))
        print(f"  seed {seed}: tunelab TPE {ours[-1]:.4f}  optuna TPE {theirs[-1]:.4f}", file=sys.stderr)
    print(f"\n## digits MLP, {trials} trials x {seeds} seeds: mean best test accuracy")
    print("| tool | mean | min | max |\n|---|---|---|---|")
    for tool, values in (("tunelab TPE", ours), ("optuna TPE", theirs)):
        print(f"| {tool} | {statistics.mean(values):.4f} | {min(values):.4f} | {max(values):.4f} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--digits", action="store_true")
    parser.add_argument("--digits-seeds", type=int, default=5)
    parser.add_argument("--digits-trials", type=int, default=20)
    args = parser.parse_args(argv)
    sizes = [100, 1000] if args.quick else [100, 1000, 10000]
    repeat = args.repeat or (5 if args.quick else 20)
    print("## suggest latency, 6-D, ms per suggestion: median (min)")
    print("| history | tunelab TPE | optuna TPE | optuna / tunelab (median) |\n|---|---|---|---|")
    for n in sizes:
        ours = tunelab_latency(n, repeat)
        theirs = optuna_latency(n, max(3, repeat // 4) if n >= 10000 else repeat)
        print(
            f"| {n:,} | {ours[0]:.3f} ({ours[1]:.3f}) | {theirs[0]:.2f} ({theirs[1]:.2f}) | "
            f"{theirs[0] / ours[0]:.1f}x |",
            flush=True,
        )
    if args.digits:
        digits(args.digits_seeds, args.digits_trials)


if __name__ == "__main__":
    main()
