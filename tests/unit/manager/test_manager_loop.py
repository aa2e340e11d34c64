"""The experiment loop against an in-memory store and a scripted runner: budgets, states, metrics, resume."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tunelab.base import InvalidInputError
from tunelab.base import env as _env
from tunelab.config import parse_config
from tunelab.manager import ExperimentManager
from tunelab.space import parse_search_space
from tunelab.storage import ExperimentRecord, MemoryStore
from tunelab.trial import ExperimentStatus, MetricKind, Trial, TrialSource, TrialState
from tunelab.tuners import create_tuner_from_config

from .fakes import FakeRunner, Script

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}}


def make_manager(
    tmp_path: Path,
    script_for: Callable[[Mapping[str, Any]], Script],
    *,
    store: MemoryStore | None = None,
    space: dict[str, Any] | None = None,
    tuner: str = "Random",
    **config: Any,
) -> tuple[ExperimentManager, FakeRunner, MemoryStore]:
    data = {
        "searchSpace": space or SPACE,
        "trialCommand": "python trial.py",
        "trialCodeDirectory": str(tmp_path),
        "trialConcurrency": 2,
        "maxTrialNumber": 6,
        "tuner": {"name": tuner, "classArgs": {"seed": 1}},
        "trainingService": {"platform": "local"},
        **config,
    }
    cfg = parse_config(data)
    if store is None:
        store = MemoryStore("exp1")
        store.create_experiment(ExperimentRecord(id="exp1", name="t", config=cfg.to_dict(), created_at=time.time()))
    runner = FakeRunner(script_for)
    manager = ExperimentManager(
        experiment_id="exp1",
        config=cfg,
        store=store,
        experiment_dir=tmp_path,
        runner=runner,
        tuner=create_tuner_from_config(tuner, parse_search_space(data["searchSpace"]), {"seed": 1}),
    )
    runner.sink = manager.on_metric
    return manager, runner, store


def run(manager: ExperimentManager, timeout: float = 20.0) -> ExperimentStatus:
    return asyncio.run(asyncio.wait_for(manager.run(), timeout))


def test_runs_max_trial_number_at_most_concurrency_at_a_time(tmp_path: Path) -> None:
    manager, runner, store = make_manager(
        tmp_path, lambda p: Script(intermediates=[0.1, 0.2], final=p["x"], duration=0.01), trialConcurrency=3
    )
    assert run(manager) == ExperimentStatus.DONE
    trials = store.list_trials()
    assert len(trials) == 6
    assert all(t.status == TrialState.SUCCEEDED for t in trials)
    assert runner.max_running == 3
    assert all(t.final == t.parameters["x"] for t in trials)
    assert all(t.intermediate_count == 2 for t in trials)
    assert [t.sequence for t in trials] == list(range(6))
    assert store.get_experiment().status == ExperimentStatus.DONE


def test_parameters_are_chosen_before_spawn_and_handed_over_in_env(tmp_path: Path) -> None:
    manager, runner, store = make_manager(tmp_path, lambda p: Script(final=1.0))
    run(manager)
    for launch in runner.started:
        stored = store.get_trial(launch.trial_id)
        assert json.loads(launch.env[_env.PARAMETERS]) == stored.parameters
        assert launch.env["NNI_TRIAL_JOB_ID"] == launch.trial_id
        assert launch.env["NNI_TRIAL_SEQ_ID"] == str(stored.sequence)
        assert launch.env[_env.OUTPUT_DIR] == launch.env["NNI_OUTPUT_DIR"] == str(launch.trial_dir)


def test_failed_trial_gets_stderr_last_line_as_message(tmp_path: Path) -> None:
    manager, _, store = make_manager(
        tmp_path,
        lambda p: Script(returncode=1, stderr="Traceback...\nTypeError: metric must be a number, got str 'abc'"),
        maxTrialNumber=2,
    )
    assert run(manager) == ExperimentStatus.ERROR  # every trial failed: fail fast (test_fail_fast.py)
    for trial in store.list_trials():
        assert trial.status == TrialState.FAILED
        assert "TypeError: metric must be a number" in trial.message
        assert "code 1" in trial.message


def test_second_final_keeps_the_first_and_records_a_warning(tmp_path: Path) -> None:
    manager, _, store = make_manager(
        tmp_path, lambda p: Script(final=0.5, report_final_twice=0.9), maxTrialNumber=1
    )
    run(manager)
    (trial,) = store.list_trials()
    assert trial.final == 0.5
    assert trial.status == TrialState.SUCCEEDED
    assert any(e.kind == "duplicate_final_ignored" for e in store.list_events(trial_id=trial.id))


def test_dict_metric_uses_default_key(tmp_path: Path) -> None:
    manager, _, store = make_manager(
        tmp_path, lambda p: Script(final={"default": 0.7, "loss": 0.3}), maxTrialNumber=1
    )
    run(manager)
    (trial,) = store.list_trials()
    assert trial.final == 0.7
    assert trial.final_data == {"default": 0.7, "loss": 0.3}


def test_max_trial_duration_early_stops(tmp_path: Path) -> None:
    manager, runner, store = make_manager(
        tmp_path, lambda p: Script(final=1.0, duration=30), maxTrialNumber=2, maxTrialDuration=0.2
    )
    started = time.monotonic()
    assert run(manager) == ExperimentStatus.DONE
    assert time.monotonic() - started < 10
    trials = store.list_trials()
    assert {t.status for t in trials} == {TrialState.EARLY_STOPPED}
    assert all("maxTrialDuration" in t.message for t in trials)
    assert sorted(runner.killed) == sorted(t.id for t in trials)


def test_max_experiment_duration_starts_nothing_after_it_and_lets_running_finish(tmp_path: Path) -> None:
    manager, _, store = make_manager(
        tmp_path, lambda p: Script(final=1.0, duration=0.4), maxTrialNumber=100, maxExperimentDuration=0.5,
        trialConcurrency=1,
    )
    assert run(manager) == ExperimentStatus.DONE
    trials = store.list_trials()
    assert 1 <= len(trials) <= 3
    assert all(t.status == TrialState.SUCCEEDED for t in trials)


def test_retries_rerun_a_failed_trial_with_same_parameters(tmp_path: Path) -> None:
    attempts: dict[float, int] = {}

    def script(params: Mapping[str, Any]) -> Script:
        attempts[params["x"]] = attempts.get(params["x"], 0) + 1
        return Script(returncode=0 if attempts[params["x"]] == 2 else 3, final=1.0 if attempts[params["x"]] == 2 else None)

    manager, runner, store = make_manager(tmp_path, script, maxTrialNumber=2, maxTrialRetries=2)
    run(manager)
    trials = store.list_trials()
    assert len(trials) == 2
    assert all(t.status == TrialState.SUCCEEDED and t.attempt == 1 for t in trials)
    assert len(runner.started) == 4
    assert all(count == 2 for count in attempts.values())


def test_grid_exhaustion_ends_done(tmp_path: Path) -> None:
    space = {"c": {"_type": "choice", "_value": [1, 2, 3]}}
    manager, _, store = make_manager(tmp_path, lambda p: Script(final=p["c"]), space=space, tuner="GridSearch",
                                     maxTrialNumber=50)
    assert run(manager) == ExperimentStatus.DONE
    assert sorted(t.parameters["c"] for t in store.list_trials()) == [1, 2, 3]
    statuses = [e.data["status"] for e in store.list_events() if e.kind == "experiment_status"]
    assert "TUNER_NO_MORE_TRIAL" in statuses or len(store.list_trials()) == 3


def test_customized_trial_runs_first_and_warns_outside_space(tmp_path: Path) -> None:
    manager, runner, store = make_manager(tmp_path, lambda p: Script(final=1.0), maxTrialNumber=2)
    trial, warnings = manager.add_customized_trial({"x": 5.0})
    assert warnings
    run(manager)
    assert runner.started[0].trial_id == trial.id
    stored = store.get_trial(trial.id)
    assert stored.source == TrialSource.CUSTOMIZED
    assert stored.status == TrialState.SUCCEEDED
    assert len(store.list_trials()) == 3  # customized trials do not use the tuner's budget


def test_kill_running_trial_is_user_canceled(tmp_path: Path) -> None:
    manager, _, store = make_manager(tmp_path, lambda p: Script(final=1.0, duration=30), maxTrialNumber=1)

    async def scenario() -> ExperimentStatus:
        task = asyncio.create_task(manager.run())
        while not store.list_trials(statuses=[TrialState.RUNNING]):
            await asyncio.sleep(0.01)
        (trial,) = store.list_trials()
        await manager.kill_trial(trial.id)
        return await asyncio.wait_for(task, 10)

    assert asyncio.run(scenario()) == ExperimentStatus.DONE
    (trial,) = store.list_trials()
    assert trial.status == TrialState.USER_CANCELED


def test_update_concurrency_and_trial_number_take_effect(tmp_path: Path) -> None:
    manager, runner, store = make_manager(
        tmp_path, lambda p: Script(final=1.0, duration=0.05), maxTrialNumber=2, trialConcurrency=1
    )

    async def scenario() -> ExperimentStatus:
        task = asyncio.create_task(manager.run())
        await asyncio.sleep(0.01)
        manager.update_max_trial_number(8)
        manager.update_concurrency(4)
        return await asyncio.wait_for(task, 10)

    assert asyncio.run(scenario()) == ExperimentStatus.DONE
    assert len(store.list_trials()) == 8
    assert runner.max_running == 4
    assert store.get_experiment().config["trialConcurrency"] == 4


def test_stop_kills_running_trials(tmp_path: Path) -> None:
    manager, _, store = make_manager(tmp_path, lambda p: Script(final=1.0, duration=30), maxTrialNumber=4)

    async def scenario() -> ExperimentStatus:
        task = asyncio.create_task(manager.run())
        while len(store.list_trials(statuses=[TrialState.RUNNING])) < 2:
            await asyncio.sleep(0.01)
        await manager.stop()
        return await asyncio.wait_for(task, 10)

    assert asyncio.run(scenario()) == ExperimentStatus.STOPPED
    assert {t.status for t in store.list_trials()} == {TrialState.USER_CANCELED}
    assert store.get_experiment().status == ExperimentStatus.STOPPED


def test_tuner_sees_finished_values(tmp_path: Path) -> None:
    manager, _, _ = make_manager(tmp_path, lambda p: Script(final=p["x"] * 2), maxTrialNumber=4)
    run(manager)
    finished = manager._history.finished
    assert len(finished) == 4
    assert all(o.value == pytest.approx(o.parameters["x"] * 2) for o in finished)
    assert manager._history.pending == []


def _stored_running(store: MemoryStore, sequence: int, x: float) -> Trial:
    trial = Trial(id=f"t{sequence}", sequence=sequence, parameters={"x": x}, status=TrialState.WAITING,
                  created_at=time.time())
    store.insert_trial(trial)
    store.update_trial(trial.id, status=TrialState.RUNNING, started_at=time.time(), pid=999_999_999)
    return store.get_trial(trial.id)


def _store_of_a_crashed_manager(tmp_path: Path) -> MemoryStore:
    """The store a one-trial experiment's manager left when it died (its trials are added by the test)."""
    store = MemoryStore("exp1")
    cfg = parse_config({
        "searchSpace": SPACE, "trialCommand": "x", "trialCodeDirectory": str(tmp_path), "trialConcurrency": 1,
        "maxTrialNumber": 1, "tuner": {"name": "Random"}, "trainingService": {"platform": "local"},
    })
    store.create_experiment(ExperimentRecord(id="exp1", name="t", config=cfg.to_dict(), created_at=time.time()))
    return store


def _write_metrics_file(tmp_path: Path, trial_id: str, lines: list[dict[str, Any]]) -> Path:
    """The trial's metrics file as the trial wrote it before the crash; returns the trial's directory."""
    trial_dir = tmp_path / "trials" / trial_id
    trial_dir.mkdir(parents=True)
    (trial_dir / _env.METRICS_FILE_NAME).write_text("".join(json.dumps(line) + "\n" for line in lines))
    return trial_dir


def test_resume_recovers_dead_trials_from_their_metrics_files(tmp_path: Path) -> None:
    store = MemoryStore("exp1")
    cfg = parse_config({
        "searchSpace": SPACE, "trialCommand": "x", "trialCodeDirectory": str(tmp_path), "trialConcurrency": 2,
        "maxTrialNumber": 3, "tuner": {"name": "Random"}, "trainingService": {"platform": "local"},
    })
    store.create_experiment(ExperimentRecord(id="exp1", name="t", config=cfg.to_dict(), created_at=time.time()))
    finished_while_down = _stored_running(store, 0, 0.25)
    died = _stored_running(store, 1, 0.75)
    trial_dir = tmp_path / "trials" / finished_while_down.id
    trial_dir.mkdir(parents=True)
    lines = [
        {"trial": finished_while_down.id, "kind": "PERIODICAL", "seq": 0, "value": 0.1, "ts": 1.0},
        {"trial": finished_while_down.id, "kind": "FINAL", "seq": 0, "value": 0.2, "ts": 2.0},
    ]
    (trial_dir / _env.METRICS_FILE_NAME).write_text("".join(json.dumps(x) + "\n" for x in lines) + '{"torn')

    manager, runner, store = make_manager(tmp_path, lambda p: Script(final=p["x"]), store=store, maxTrialNumber=3)
    assert run(manager) == ExperimentStatus.DONE
    recovered = store.get_trial(finished_while_down.id)
    assert recovered.status == TrialState.SUCCEEDED
    assert recovered.final == 0.2
    assert [m.value for m in store.get_metrics(recovered.id, MetricKind.PERIODICAL)] == [0.1]
    rerun = store.get_trial(died.id)
    assert rerun.status == TrialState.SUCCEEDED
    assert rerun.parameters == {"x": 0.75}
    assert rerun.final == 0.75  # ran again with the same parameters
    assert len(store.list_trials()) == 3  # one new trial: the budget counts the two old ones once
    assert died.id in [launch.trial_id for launch in runner.started]


def test_a_trial_re_run_after_a_crash_starts_with_a_clean_curve(tmp_path: Path) -> None:
    store = _store_of_a_crashed_manager(tmp_path)
    died = _stored_running(store, 0, 0.5)
    trial_dir = _write_metrics_file(tmp_path, died.id, [
        {"trial": died.id, "kind": "PERIODICAL", "seq": i, "value": 9.0, "ts": 1.0} for i in range(3)])

    manager, _, store = make_manager(tmp_path, lambda p: Script(intermediates=[0.1], final=0.2), store=store,
                                     maxTrialNumber=1, trialConcurrency=1)
    assert run(manager) == ExperimentStatus.DONE
    rerun = store.get_trial(died.id)
    assert (rerun.status, rerun.final, rerun.intermediate_count) == (TrialState.SUCCEEDED, 0.2, 1)
    assert [m.value for m in store.get_metrics(died.id, MetricKind.PERIODICAL)] == [0.1]
    kept = list(trial_dir.glob("*.attempt-*"))
    assert len(kept) == 1, "the dead attempt's values are set aside, not thrown away"
    assert kept[0].read_text().count("9.0") == 3


def test_resumed_tuner_warm_starts_from_history(tmp_path: Path) -> None:
    manager, _, store = make_manager(tmp_path, lambda p: Script(final=p["x"]), maxTrialNumber=3)
    run(manager)
    manager2, _, _ = make_manager(tmp_path, lambda p: Script(final=p["x"]), store=store, maxTrialNumber=5)
    run(manager2)
    assert len(store.list_trials()) == 5
    assert len(manager2._history.finished) == 5


def test_a_retried_trial_keeps_only_its_last_attempts_values(tmp_path: Path) -> None:
    attempts: list[int] = []

    def script(params: Mapping[str, Any]) -> Script:
        attempts.append(1)
        if len(attempts) == 1:
            return Script(intermediates=[0.9, 0.8], final=0.7, returncode=1)  # reported, then failed
        return Script(intermediates=[0.1, 0.2, 0.3], final=0.4)

    manager, _, store = make_manager(tmp_path, script, maxTrialNumber=1, maxTrialRetries=1)
    run(manager)
    (trial,) = store.list_trials()
    assert trial.status == TrialState.SUCCEEDED
    assert trial.attempt == 1
    assert trial.final == 0.4
    assert [m.value for m in store.get_metrics(trial.id, MetricKind.PERIODICAL)] == [0.1, 0.2, 0.3]
    assert trial.intermediate_count == 3


@pytest.mark.parametrize(("final", "marker"), [(float("nan"), "NaN"), ("Infinity", "Infinity"),
                                               ({"default": float("-inf"), "loss": 1.0}, "-Infinity")])
def test_a_non_finite_final_fails_the_trial_and_is_never_the_best(tmp_path: Path, final: Any, marker: str) -> None:
    # "Infinity": the trial side writes non-finite values as the codec's marker strings
    manager, _, store = make_manager(tmp_path, lambda p: Script(intermediates=[float("nan"), 0.5],
                                                                 final=final if p["x"] < 0.5 else p["x"]),
                                     maxTrialNumber=6, failFastTrials=0)
    run(manager)
    trials = store.list_trials()
    bad = [t for t in trials if t.parameters["x"] < 0.5]
    good = [t for t in trials if t.parameters["x"] >= 0.5]
    assert bad
    assert good
    for trial in bad:
        assert trial.status == TrialState.FAILED
        assert trial.message == f"final metric is {marker}: report a finite number"
        assert not trial.has_usable_final
    assert all(t.status == TrialState.SUCCEEDED for t in good)
    assert store.best_trial(maximize=True).id == max(good, key=lambda t: t.final or 0).id
    assert store.best_trial(maximize=False).id == min(good, key=lambda t: t.final or 0).id
    # a non-finite intermediate is stored as reported
    values = [m.value for m in store.get_metrics(bad[0].id, MetricKind.PERIODICAL)]
    assert values[1] == 0.5
    assert values[0] != values[0]


def test_resume_fails_a_trial_whose_file_holds_a_non_finite_final(tmp_path: Path) -> None:
    store = _store_of_a_crashed_manager(tmp_path)
    down = _stored_running(store, 0, 0.25)
    _write_metrics_file(tmp_path, down.id, [
        {"trial": down.id, "kind": "FINAL", "seq": 0, "value": "Infinity", "ts": 2.0}])
    manager, _, store = make_manager(tmp_path, lambda p: Script(final=p["x"]), store=store, maxTrialNumber=1)
    run(manager)
    recovered = store.get_trial(down.id)
    assert recovered.status == TrialState.FAILED
    assert recovered.message == "final metric is Infinity: report a finite number"


@pytest.mark.parametrize(("parameters", "where"), [({"x": float("nan")}, "parameters.x: NaN"),
                                                   ({"m": {"k": [1, float("-inf")]}}, "parameters.m: -Infinity"),
                                                   ({"x": "Infinity"}, "parameters.x: Infinity")])
def test_customized_parameters_must_be_finite(tmp_path: Path, parameters: dict[str, Any], where: str) -> None:
    manager, _, store = make_manager(tmp_path, lambda p: Script(final=1.0))
    with pytest.raises(InvalidInputError) as info:
        manager.add_customized_trial(parameters)
    assert info.value.message == f"{where} is not a finite number; parameters must be finite numbers"
    assert store.list_trials() == []
