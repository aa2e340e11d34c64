"""The contract every builtin tuner keeps, run over the whole registry.

Suggestions lie in the space (nested choices included); a seeded tuner repeats itself in a fresh
interpreter; failed trials, NaN values, late and duplicate results never crash it; both optimize modes
work; a changed search space (parameters added, renamed, removed, retyped) is accepted, live and on resume.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest

from tunelab.base import NoMoreTrialsError
from tunelab.space import parse_search_space
from tunelab.trial import TrialState
from tunelab.tuners import BUILTIN_TUNERS, History, Observation, Tuner, create_tuner_from_config

SPACE: dict[str, Any] = {
    "lr": {"_type": "loguniform", "_value": [1e-4, 1e-1]},
    "units": {"_type": "randint", "_value": [8, 64]},
    "act": {"_type": "choice", "_value": ["relu", "tanh"]},
    "drop": {"_type": "quniform", "_value": [0.0, 0.5, 0.1]},
    "noise": {"_type": "qnormal", "_value": [0, 1, 0.5]},
    "model": {
        "_type": "choice",
        "_value": [
            {"_name": "linear"},
            {
                "_name": "mlp",
                "depth": {"_type": "randint", "_value": [1, 4]},
                "norm": {
                    "_type": "choice",
                    "_value": [
                        {"_name": "none"},
                        {"_name": "batch", "eps": {"_type": "lognormal", "_value": [-5, 1]}},
                    ],
                },
            },
        ],
    },
}

# Few startup jobs so that model-based tuners leave their random warm-up within these short loops.
FAST_ARGS: dict[str, dict[str, Any]] = {
    "TPE": {"tpe_args": {"n_startup_jobs": 5}},
    "GP": {"cold_start_num": 5, "selection_num_warm_up": 128, "selection_num_starting_points": 2},
    "Anneal": {"n_startup_jobs": 5},
    "Evolution": {"population_size": 8},
    "Hyperband": {"R": 9},
    "BOHB": {"max_budget": 9, "min_points_in_model": 3},
    "PBT": {"population_size": 8},
}

#: Keys a tuner adds to the parameters on top of the search space (NNI's names).
EXTRA_KEYS: dict[str, set[str]] = {
    "Hyperband": {"TRIAL_BUDGET"},
    "BOHB": {"TRIAL_BUDGET"},
    "PBT": {"load_checkpoint_dir", "save_checkpoint_dir"},
}
#: Tuners that rerun a configuration by design (at another budget or training step), so they neither
#: deduplicate nor run out in small spaces.
REPEATING = {"Hyperband", "BOHB", "PBT"}


def batch_space(space: dict[str, Any], count: int) -> dict[str, Any]:
    """The Batch tuner's space format: one choice whose options are full parameter sets of ``space``."""
    parsed = parse_search_space(space)
    rng = np.random.default_rng(0)
    options: list[dict[str, Any]] = []
    for params in parsed.grid() if count <= 6 else iter(lambda: parsed.sample(rng), None):
        if params not in options:
            options.append(params)
        if len(options) == count:
            break
    return {"combine_params": {"_type": "choice", "_value": options}}


def objective(params: dict[str, Any]) -> float:
    value = (math.log10(params["lr"]) + 2.5) ** 2 + abs(params["units"] - 32) / 32 + params["drop"]
    value += 0.3 if params["act"] == "tanh" else 0.0
    if params["model"]["_name"] == "mlp":
        value -= 0.1 * params["model"]["depth"]
    return value


def make(name: str, *, seed: int = 7, space: dict[str, Any] | None = None, **args: Any) -> Tuner:
    class_args = {**FAST_ARGS.get(name, {}), "seed": seed, **args}
    space = space if space is not None else SPACE
    if name == "Batch":
        space = batch_space(space, 60 if space is SPACE else 6)
    return create_tuner_from_config(name, space, class_args)


def strip(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters without the keys the tuner adds (TRIAL_BUDGET, checkpoint dirs)."""
    extra = EXTRA_KEYS.get(name, set())
    assert extra <= set(params), params  # the tuner must add them
    return {k: v for k, v in params.items() if k not in extra}


def observe(history: History, params: dict[str, Any], value: float | None, state: TrialState) -> None:
    n = len(history.finished)
    history.finished.append(Observation(f"t{n}", n, params, state, value))


def run_loop(tuner: Tuner, n: int) -> list[dict[str, Any]]:
    history = History()
    out = []
    for _ in range(n):
        try:
            params = tuner.suggest(history)
        except NoMoreTrialsError:
            break
        out.append(params)
        observe(history, params, value_of(params), TrialState.SUCCEEDED)
    return out


def value_of(params: dict[str, Any]) -> float:
    extra = set().union(*EXTRA_KEYS.values())
    return objective({k: v for k, v in params.items() if k not in extra})


@pytest.fixture(params=BUILTIN_TUNERS)
def name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_suggestions_lie_in_the_space_including_nested(name: str) -> None:
    space = parse_search_space(SPACE)
    suggestions = run_loop(make(name), 40)
    assert len(suggestions) == 40
    for params in suggestions:
        assert space.contains(strip(name, params)) == [], params
    branches = {p["model"]["_name"] for p in suggestions}
    assert branches == {"linear", "mlp"}


def test_seeded_runs_repeat_in_a_fresh_interpreter(name: str) -> None:
    here = run_loop(make(name, seed=123), 30)
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from test_tuner_contract import make, run_loop
        print(json.dumps(run_loop(make({name!r}, seed=123), 30)))
        """
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True, timeout=120
    )
    there = json.loads(result.stdout)
    assert there == json.loads(json.dumps(here))


def test_different_seeds_differ_where_the_tuner_is_random(name: str) -> None:
    a, b = run_loop(make(name, seed=1), 10), run_loop(make(name, seed=2), 10)
    if name in ("GridSearch", "Batch"):
        assert a == b  # deterministic by design
    else:
        assert a != b


def test_failed_trials_and_nan_values_do_not_crash(name: str) -> None:
    tuner = make(name)
    history = History()
    space = parse_search_space(SPACE)
    for i in range(40):
        params = tuner.suggest(history)
        assert space.contains(strip(name, params)) == []
        if i % 3 == 0:
            observe(history, params, None, TrialState.FAILED)
        elif i % 3 == 1:
            observe(history, params, math.nan, TrialState.SUCCEEDED)
        else:
            observe(history, params, value_of(params), TrialState.SUCCEEDED)


def test_all_failed_history_still_suggests(name: str) -> None:
    tuner = make(name)
    history = History()
    for _ in range(30):
        observe(history, tuner.suggest(history), None, TrialState.FAILED)
    assert parse_search_space(SPACE).contains(strip(name, tuner.suggest(history))) == []


@pytest.mark.parametrize("mode", ["minimize", "maximize"])
def test_both_optimize_modes(name: str, mode: str) -> None:
    tuner = make(name, optimize_mode=mode)
    assert tuner.optimize_mode == mode
    history = History()
    for _ in range(30):
        params = tuner.suggest(history)
        observe(history, params, value_of(params), TrialState.SUCCEEDED)


def test_late_and_duplicate_results(name: str) -> None:
    tuner = make(name)
    history = History()
    running: list[Observation] = []
    for i in range(30):
        params = tuner.suggest(history)
        obs = Observation(f"t{i}", i, params, TrialState.RUNNING)
        running.append(obs)
        history.pending.append(obs)
        if i % 4 == 3:  # the oldest running trial finishes late, reported twice; it stays listed as pending
            done = running.pop(0)
            finished = Observation(done.trial_id, done.sequence, done.parameters, TrialState.SUCCEEDED, 1.0)
            history.finished.extend([finished, finished])
    assert len(history.finished) > 10


def test_pending_trials_are_not_proposed_again_in_small_spaces(name: str) -> None:
    if name in REPEATING:
        pytest.skip(f"{name} reruns configurations at other budgets/steps by design")
    small = {"a": {"_type": "choice", "_value": [1, 2, 3]}, "b": {"_type": "randint", "_value": [0, 2]}}
    tuner = make(name, space=small)
    history = History()
    keys = []
    for i in range(6):
        params = tuner.suggest(history)
        keys.append(json.dumps(params, sort_keys=True))
        history.pending.append(Observation(f"t{i}", i, params, TrialState.RUNNING))
    assert len(set(keys)) == 6
    with pytest.raises(NoMoreTrialsError):
        tuner.suggest(history)


# -- a changed search space (tunelab update ID searchspace) ---------------------------------------------------
# The rule every tuner keeps: after update_search_space, a finished or pending trial informs the tuner only
# through the parameters the new space still has; one that lacks an active parameter of the new space, or
# whose value the new space cannot represent, is ignored by the model (it still counts as "already seen"
# where a tuner deduplicates). New parameters are sampled. The same holds for a tuner built on the new space
# and fed the old history, which is what a resume after the change does.
BASE_SPACE: dict[str, Any] = {
    "x": {"_type": "uniform", "_value": [0, 1]},
    "c": {"_type": "choice", "_value": ["a", "b", "c"]},
    "n": {"_type": "randint", "_value": [0, 10]},
}
CHANGED_SPACES: dict[str, dict[str, Any]] = {
    "added": {**BASE_SPACE, "y": {"_type": "uniform", "_value": [-1, 1]}, "k": {"_type": "choice", "_value": [1, 2]}},
    "renamed": {"y": BASE_SPACE["x"], "d": BASE_SPACE["c"], "n": BASE_SPACE["n"]},
    "removed": {"x": BASE_SPACE["x"]},
    "retyped": {"x": {"_type": "choice", "_value": [0.25, 0.75]}, "c": {"_type": "uniform", "_value": [2, 3]},
                "n": {"_type": "randint", "_value": [20, 30]}},
    "nested": {"x": BASE_SPACE["x"], "m": {"_type": "choice", "_value": [
        {"_name": "p", "z": {"_type": "normal", "_value": [0, 1]}}, {"_name": "q"}]}},
}


def small_value(params: dict[str, Any]) -> float:
    total = 0.0
    for key, value in sorted(params.items()):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            total += (float(value) - 0.3) ** 2
        elif isinstance(value, dict):
            total += small_value({k: v for k, v in value.items() if k != "_name"}) + len(str(value["_name"]))
        elif key not in set().union(*EXTRA_KEYS.values()):
            total += len(str(value)) * 0.1
    return total


def tuner_space(name: str, space: dict[str, Any]) -> Any:
    return parse_search_space(batch_space(space, 6) if name == "Batch" else space)


def feed(tuner: Tuner, history: History, space: dict[str, Any], name: str, count: int) -> None:
    parsed = parse_search_space(space)
    for _ in range(count):
        try:
            params = tuner.suggest(history)
        except NoMoreTrialsError:
            return
        if name != "Batch":
            assert parsed.contains(strip(name, params)) == [], params
        observe(history, params, small_value(params), TrialState.SUCCEEDED)
    # a trial asked for under the old space is still running when the space changes
    with contextlib.suppress(NoMoreTrialsError):
        late = len(history.pending)
        history.pending.append(Observation(f"late{late}", 900 + late, tuner.suggest(history), TrialState.RUNNING))


@pytest.mark.parametrize("change", sorted(CHANGED_SPACES))
def test_a_changed_search_space_is_accepted(name: str, change: str) -> None:
    tuner = make(name, space=BASE_SPACE)
    history = History()
    feed(tuner, history, BASE_SPACE, name, 14)
    new_space = CHANGED_SPACES[change]
    tuner.update_search_space(tuner_space(name, new_space))
    feed(tuner, history, new_space, name, 14)


@pytest.mark.parametrize("change", sorted(CHANGED_SPACES))
def test_a_tuner_built_on_a_changed_space_takes_the_old_history(name: str, change: str) -> None:
    """What resume does after `update searchspace`: a new tuner on the new space, the whole history."""
    history = History()
    feed(make(name, space=BASE_SPACE), history, BASE_SPACE, name, 14)
    new_space = CHANGED_SPACES[change]
    feed(make(name, space=new_space, seed=8), history, new_space, name, 14)
