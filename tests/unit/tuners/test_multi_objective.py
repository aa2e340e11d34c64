"""Multi-objective tuners: routing from the registry, errors for tuners that cannot honour objectives,
and search quality against random search on ZDT1 with the same budget and seeds."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tunelab.base import ConfigError
from tunelab.objectives import hypervolume
from tunelab.trial import TrialState
from tunelab.tuners import AutoTuner, History, MotpeTuner, Nsga2Tuner, Observation, create_tuner_from_config

DIMS = 5
SPACE = {f"x{i}": {"_type": "uniform", "_value": [0, 1]} for i in range(DIMS)}
TWO = ["f1:minimize", "f2:minimize"]


def zdt1(params: dict[str, Any]) -> dict[str, float]:
    x = np.array([params[f"x{i}"] for i in range(DIMS)])
    g = 1 + 9 * x[1:].mean()
    return {"f1": float(x[0]), "f2": float(g * (1 - np.sqrt(x[0] / g)))}


def run(name: str, seed: int, n: int = 60, objectives: Any = TWO) -> History:
    tuner = create_tuner_from_config(name, SPACE, {"seed": seed}, objectives=objectives)
    history = History()
    for i in range(n):
        params = tuner.suggest(history)
        metrics = zdt1(params)
        history.finished.append(Observation(str(i), i, params, TrialState.SUCCEEDED, metrics["f1"], (), metrics))
    return history


def front_volume(history: History) -> float:
    losses = np.array([[o.metrics["f1"], o.metrics["f2"]] for o in history.finished if o.metrics])
    return hypervolume(losses, np.array([1.1, 11.0]))


def test_auto_runs_motpe_for_several_objectives_and_tpe_for_one() -> None:
    auto = create_tuner_from_config("Auto", SPACE, objectives=TWO)
    assert isinstance(auto, AutoTuner)
    assert auto.algorithm == "MOTPE"
    single = create_tuner_from_config("Auto", SPACE, objectives=["acc:minimize"])
    assert single.optimize_mode == "minimize"
    assert single.algorithm in ("GP", "TPE")


@pytest.mark.parametrize("name", ["TPE", "GP", "Anneal", "Evolution", "Hyperband"])
def test_single_objective_tuners_refuse_several_objectives(name: str) -> None:
    with pytest.raises(ConfigError) as info:
        create_tuner_from_config(name, SPACE, objectives=TWO)
    message = str(info.value)
    assert f"tuner.name: {name} optimises one objective" in message
    assert "MOTPE" in message
    assert "NSGA2" in message


def test_a_constraint_also_needs_a_multi_objective_tuner() -> None:
    with pytest.raises(ConfigError, match="declares a constraint"):
        create_tuner_from_config("TPE", SPACE, objectives=["acc:maximize", "latency <= 3"])


def test_one_objective_sets_the_mode_and_a_contradiction_is_an_error() -> None:
    assert create_tuner_from_config("TPE", SPACE, objectives=["acc:maximize"]).optimize_mode == "maximize"
    with pytest.raises(ConfigError, match="contradicts objectives"):
        create_tuner_from_config("TPE", SPACE, {"optimize_mode": "minimize"}, objectives=["acc:maximize"])
    with pytest.raises(ConfigError, match="takes each objective's mode"):
        MotpeTuner(create_tuner_from_config("Random", SPACE).space, objectives=TWO, optimize_mode="maximize")


@pytest.mark.parametrize("name", ["Random", "GridSearch", "Batch"])
def test_result_blind_tuners_accept_any_objectives(name: str) -> None:
    space = {"x": {"_type": "choice", "_value": [1, 2]}}
    args = {"seed": 1} if name == "Random" else {}
    if name == "Batch":
        space = {"_batch": {"_type": "choice", "_value": [{"x": 1}, {"x": 2}]}}  # NNI's batch form
        args = {}
    tuner = create_tuner_from_config(name, space, args, objectives=TWO)
    assert tuner.suggest(History())


def test_motpe_and_nsga2_beat_random_search_on_zdt1() -> None:
    seeds = range(3)
    random = np.median([front_volume(run("Random", s)) for s in seeds])
    motpe = np.median([front_volume(run("MOTPE", s)) for s in seeds])
    nsga2 = np.median([front_volume(run("NSGA2", s, n=80)) for s in seeds])
    nsga2_random = np.median([front_volume(run("Random", s, n=80)) for s in seeds])
    assert motpe > random * 1.03, (motpe, random)
    assert nsga2 > nsga2_random, (nsga2, nsga2_random)


def test_motpe_prefers_feasible_regions() -> None:
    # f1 <= 0.2 is feasible: once the model is fitted most asks should land there (random: 20 %).
    objectives = ["f1:minimize <= 0.2", "f2:minimize"]
    history = run("MOTPE", 0, n=50, objectives=objectives)
    late = [o.metrics["f1"] <= 0.2 for o in history.finished[20:] if o.metrics]
    assert np.mean(late) > 0.5, np.mean(late)


def test_motpe_constant_liar_spreads_parallel_asks() -> None:
    tuner = MotpeTuner(create_tuner_from_config("Random", SPACE).space, objectives=TWO, seed=3)
    history = run("Random", 3, n=20)
    asks = []
    for i in range(4):
        params = tuner.suggest(history)
        asks.append(params)
        history.pending.append(Observation(f"p{i}", 20 + i, params, TrialState.RUNNING))
    assert len({tuple(sorted(p.items())) for p in asks}) == 4


def test_trials_without_every_objective_are_left_out_of_the_model() -> None:
    space = create_tuner_from_config("Random", SPACE).space
    for cls in (MotpeTuner, Nsga2Tuner):
        tuner = cls(space, objectives=TWO, seed=0)
        history = History()
        for i in range(30):
            params = tuner.suggest(history)
            metrics: dict[str, Any] = {"f1": 0.5} if i % 2 else zdt1(params)  # half lack f2
            history.finished.append(Observation(str(i), i, params, TrialState.SUCCEEDED, 0.5, (), metrics))
        assert tuner.suggest(history)


def test_in_process_optimize_returns_a_pareto_front() -> None:
    import tunelab

    def evaluate(params: dict[str, Any]) -> dict[str, float]:
        return zdt1(params)

    result = tunelab.optimize(evaluate, SPACE, objectives=TWO, n_trials=40, seed=0)
    assert len(result.trials) == 40
    front = result.pareto_front
    assert len(front) >= 2
    values = [v for _, v in front]
    for a in values:  # no front point dominates another
        assert not any(b["f1"] <= a["f1"] and b["f2"] <= a["f2"] and b != a for b in values)
    assert [v["f1"] for v in values] == sorted(v["f1"] for v in values)  # primary objective, best first
    assert result.best_parameters == front[0][0]


def test_ask_tell_with_objectives_counts_a_dict_missing_an_objective_as_failed() -> None:
    from tunelab import create_tuner

    driver = create_tuner("MOTPE", SPACE, objectives=TWO, seed=1)
    first, second = driver.ask(), driver.ask()
    driver.tell(first, {"f1": 0.2, "f2": 0.5})
    driver.tell(second, {"f1": 0.1})
    states = [o.state for o in driver.history.finished]
    assert states == [TrialState.SUCCEEDED, TrialState.FAILED]
    assert driver.pareto_front() == [(first.parameters, {"f1": 0.2, "f2": 0.5})]


def test_motpe_models_each_dimension_alone_for_several_objectives_unless_told() -> None:
    space = create_tuner_from_config("TPE", SPACE, {"seed": 0}).space
    assert not MotpeTuner(space, objectives=TWO, seed=0).args.multivariate
    told = MotpeTuner(space, objectives=TWO, seed=0, tpe_args={"multivariate": True, "n_startup_jobs": 4})
    assert told.args.multivariate
    assert told.args.n_startup_jobs == 4
    # One objective (with or without a constraint) keeps TPE's multivariate default.
    assert MotpeTuner(space, objectives=["f1:minimize"], seed=0).args.multivariate
    assert MotpeTuner(space, objectives=["f1:minimize", "f2 <= 3"], seed=0).args.multivariate
