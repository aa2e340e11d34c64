"""A run whose first trials all fail stops with ERROR and says why; failures after a success never stop it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tunelab.manager._failures import failure_hint, failure_reason, summarize_failures
from tunelab.trial import ExperimentStatus, TrialState

from .fakes import Script
from .test_manager_loop import make_manager, run

NO_TORCH = "Traceback (most recent call last):\n  File \"t.py\", line 1\nModuleNotFoundError: No module named 'torch'"


def broken(params: Mapping[str, Any]) -> Script:
    return Script(returncode=1, stderr=NO_TORCH)


def test_the_first_three_failures_stop_the_run_with_the_reason(tmp_path: Path) -> None:
    manager, _, store = make_manager(tmp_path, broken, trialConcurrency=1, maxTrialNumber=60)
    assert run(manager) == ExperimentStatus.ERROR
    trials = store.list_trials()
    assert len(trials) == 3  # not 60
    record = store.get_experiment()
    assert record.status == ExperimentStatus.ERROR
    first = trials[0]
    assert record.error.startswith("the first 3 trials all failed: ModuleNotFoundError: No module named 'torch' "
                                   f"(trial 0 stderr: tunelab log exp1 -T {first.id} --stderr)")
    assert "install it into the Python the trial command runs: python -m pip install torch (or, if it is a module of yours, put it in trialCodeDirectory), then `tunelab resume exp1`" in record.error


def test_running_trials_are_stopped_with_the_experiment(tmp_path: Path) -> None:
    calls: list[int] = []

    def mixed(params: Mapping[str, Any]) -> Script:
        calls.append(1)
        # Three quick failures while a fourth, slow trial runs: that one is stopped, not left to run on.
        return Script(final=1.0, duration=30) if len(calls) == 1 else broken(params)

    manager, _, store = make_manager(tmp_path, mixed, trialConcurrency=2, maxTrialNumber=60)
    assert run(manager) == ExperimentStatus.ERROR
    states = sorted(t.status.value for t in store.list_trials())
    assert states == ["FAILED", "FAILED", "FAILED", "USER_CANCELED"]


def test_failures_after_a_success_never_stop_the_run(tmp_path: Path) -> None:
    calls: list[int] = []

    def first_works(params: Mapping[str, Any]) -> Script:
        calls.append(1)
        return Script(final=0.5) if len(calls) == 1 else broken(params)

    manager, _, store = make_manager(tmp_path, first_works, trialConcurrency=1, maxTrialNumber=8)
    assert run(manager) == ExperimentStatus.DONE
    assert [t.status for t in store.list_trials()].count(TrialState.FAILED) == 7


def test_fail_fast_trials_sets_the_threshold_and_zero_turns_it_off(tmp_path: Path) -> None:
    manager, _, store = make_manager(tmp_path, broken, trialConcurrency=1, maxTrialNumber=8, failFastTrials=5)
    assert run(manager) == ExperimentStatus.ERROR
    assert len(store.list_trials()) == 5

    manager, _, store = make_manager(tmp_path, broken, trialConcurrency=1, maxTrialNumber=8, failFastTrials=0)
    assert run(manager) == ExperimentStatus.DONE
    assert len(store.list_trials()) == 8


def test_a_small_budget_fails_fast_at_its_size(tmp_path: Path) -> None:
    manager, _, store = make_manager(tmp_path, broken, trialConcurrency=1, maxTrialNumber=2)
    assert run(manager) == ExperimentStatus.ERROR
    assert len(store.list_trials()) == 2


def test_resume_after_the_cause_is_fixed_runs_the_rest_of_the_budget(tmp_path: Path) -> None:
    manager, _, store = make_manager(tmp_path, broken, trialConcurrency=1, maxTrialNumber=6)
    assert run(manager) == ExperimentStatus.ERROR
    fixed, _, _ = make_manager(tmp_path, lambda p: Script(final=p["x"]), store=store, trialConcurrency=1,
                               maxTrialNumber=6)
    assert run(fixed) == ExperimentStatus.DONE
    states = [t.status for t in store.list_trials()]
    assert states == [TrialState.FAILED] * 3 + [TrialState.SUCCEEDED] * 3
    assert store.get_experiment().error in ("", None)


def test_resume_that_still_fails_stops_again(tmp_path: Path) -> None:
    manager, _, store = make_manager(tmp_path, broken, trialConcurrency=1, maxTrialNumber=20)
    assert run(manager) == ExperimentStatus.ERROR
    again, _, _ = make_manager(tmp_path, broken, store=store, trialConcurrency=1, maxTrialNumber=20)
    assert run(again) == ExperimentStatus.ERROR
    assert len(store.list_trials()) == 6


def test_the_summary_names_the_most_common_reason_and_its_first_trial(tmp_path: Path) -> None:
    manager, _, store = make_manager(tmp_path, broken, trialConcurrency=1, maxTrialNumber=3)
    run(manager)
    summary = summarize_failures("exp1", store.list_trials())
    assert summary is not None
    assert (summary.failed, summary.reason_count, summary.sequence) == (3, 3, 0)
    assert summary.reason == "ModuleNotFoundError: No module named 'torch'"
    assert failure_reason("exited with code 2") == "exited with code 2"
    assert failure_reason("") == "failed without a message"


@pytest.mark.parametrize(("reason", "hint"), [
    ("ModuleNotFoundError: No module named 'sklearn'", "python -m pip install scikit-learn"),
    ("ModuleNotFoundError: No module named 'torch.nn'", "python -m pip install torch"),
    ("ModuleNotFoundError: No module named 'cv2'", "python -m pip install opencv-python"),
    ("ModuleNotFoundError: No module named 'nni'", "cannot import tunelab"),
])  # fmt: skip
def test_a_missing_module_names_the_pip_command(reason: str, hint: str) -> None:
    assert hint in (failure_hint(reason) or "")


def test_other_reasons_have_no_made_up_hint() -> None:
    assert failure_hint("ValueError: bad lr") is None
    assert failure_hint("exited with code 1") is None
