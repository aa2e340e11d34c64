"""An in-process app over an in-memory store (no manager: a viewed experiment) for the API unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunelab.server import AppContext, ServerSettings, create_app
from tunelab.storage import ExperimentRecord, MemoryStore
from tunelab.trial import ExperimentStatus, Metric, MetricKind, Trial, TrialState

from ._client import ApiClient

XSS = "<img src=x onerror=alert(1)>"


def _trial(i: int, status: TrialState, final: float | None, **params: object) -> Trial:
    return Trial(
        id=f"t{i:03d}", sequence=i, parameters=params, status=status, created_at=100.0 + i,
        started_at=100.0 + i, ended_at=None if status is TrialState.RUNNING else 110.0 + 2 * i,
        message="boom: ValueError" if status is TrialState.FAILED else "",
    )


def fill_store(store: MemoryStore) -> None:
    """Twelve trials: ten finished with a final (best is t007 = 0.95 when maximizing), one failed, one running."""
    config = {"tuner": {"name": "Random", "classArgs": {"optimize_mode": "maximize"}}, "trialConcurrency": 2,
              "maxExperimentDuration": "1h",
              "searchSpace": {"lr": {"_type": "loguniform", "_value": [1e-5, 1e-1]},
                              "opt": {"_type": "choice", "_value": ["sgd", "adam", XSS]}}}
    store.create_experiment(ExperimentRecord(id="exp1", name="demo <b>name</b>", config=config,
                                             status=ExperimentStatus.DONE, created_at=100.0))
    finals = [0.5, 0.6, 0.4, 0.7, 0.65, 0.3, 0.8, 0.95, 0.2, 0.9]
    for i, value in enumerate(finals):
        store.insert_trial(_trial(i, TrialState.SUCCEEDED, value, lr=10 ** -(1 + i % 4), opt=["sgd", "adam", XSS][i % 3]))
        store.add_intermediates([Metric(f"t{i:03d}", MetricKind.PERIODICAL, s, value * s / 4, value * s / 4, 101.0 + s)
                                 for s in range(5)])
        store.set_final(Metric(f"t{i:03d}", MetricKind.FINAL, 0, value, {"default": value, "loss": 1 - value}, 120.0))
    store.insert_trial(_trial(10, TrialState.FAILED, None, lr=0.5, opt="sgd"))
    store.insert_trial(_trial(11, TrialState.RUNNING, None, lr=0.01, opt="adam"))


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore("exp1")
    fill_store(store)
    return store


@pytest.fixture
def context(store: MemoryStore, tmp_path: Path) -> AppContext:
    return AppContext(experiment_id="exp1", store=store, experiment_dir=tmp_path / "exp1",
                      experiments_root=tmp_path)


@pytest.fixture
def client(context: AppContext) -> ApiClient:
    return ApiClient(create_app(context, ServerSettings(port=18200)))
