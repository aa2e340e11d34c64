"""Every REST answer is valid JSON when the store holds NaN and infinities (rows written before the rule
or by an old version): non-finite numbers come out as "NaN"/"Infinity"/"-Infinity" (docs/json.md)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from tunelab.server import AppContext, ServerSettings, create_app
from tunelab.storage import ExperimentRecord, MemoryStore
from tunelab.trial import ExperimentStatus, Metric, MetricKind, Trial, TrialState

from ._client import ApiClient

ROUTES = ["/api/v1/export", "/api/v1/export?intermediate=true", "/api/v1/best", "/api/v1/trials",
          "/api/v1/trials?sort=final&order=desc", "/api/v1/trials/t1", "/api/v1/experiment", "/api/v1/charts/history",
          "/api/v1/charts/parallel", "/api/v1/charts/slice", "/api/v1/charts/rank", "/api/v1/charts/curves", "/api/v1/charts/columns",
          "/api/v1/charts/timeline", "/api/v1/compare?trials=t0,t1"]


def strict(text: str) -> Any:
    def refuse(token: str) -> None:
        raise AssertionError(f"bare {token} in {text[:300]}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def client(tmp_path: Path) -> ApiClient:
    store = MemoryStore("exp1")
    config = {"tuner": {"name": "Random", "classArgs": {"optimize_mode": "maximize"}},
              "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}}}
    store.create_experiment(ExperimentRecord(id="exp1", name="n", config=config, status=ExperimentStatus.DONE,
                                             created_at=100.0))
    finals = [0.5, math.inf, math.nan, -math.inf, 0.7]
    for i, value in enumerate(finals):
        store.insert_trial(Trial(id=f"t{i}", sequence=i, parameters={"x": math.nan if i == 1 else i / 10},
                                 status=TrialState.SUCCEEDED, created_at=100.0 + i, started_at=100.0 + i,
                                 ended_at=105.0 + i))
        store.add_intermediates([Metric(f"t{i}", MetricKind.PERIODICAL, s, v, v, 101.0 + s)
                                 for s, v in enumerate([0.1, math.nan, math.inf])])
        store.set_final(Metric(f"t{i}", MetricKind.FINAL, 0, value, {"default": value, "loss": -math.inf}, 120.0))
    context = AppContext(experiment_id="exp1", store=store, experiment_dir=tmp_path / "exp1",
                         experiments_root=tmp_path)
    return ApiClient(create_app(context, ServerSettings(port=18200)))


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_answers_valid_json(client: ApiClient, route: str) -> None:
    response = client.get(route)
    assert response.status_code == 200, response.text
    strict(response.text)


def test_best_is_the_best_finite_final(client: ApiClient) -> None:
    assert strict(client.get("/api/v1/best").text)["trial_id"] == "t4"


def test_non_finite_values_have_one_encoding(client: ApiClient) -> None:
    trial = strict(client.get("/api/v1/trials/t1").text)
    assert trial["parameters"] == {"x": "NaN"}
    assert trial["final"] == "Infinity"
    assert trial["final_data"] == {"default": "Infinity", "loss": "-Infinity"}
    assert [m["value"] for m in trial["intermediate"]] == [0.1, "NaN", "Infinity"]
    assert [m["data"] for m in trial["intermediate"]] == [0.1, "NaN", "Infinity"]
    exported = {r["trialJobId"]: r for r in strict(client.get("/api/v1/export?intermediate=true").text)}
    assert exported["t1"]["parameter"] == {"x": "NaN"}
    assert strict(exported["t1"]["value"]) == {"default": "Infinity", "loss": "-Infinity"}
    # NNI's shape: each metric's JSON text, the final appended (docs/from-nnictl.md); each one strict JSON
    assert [strict(m) for m in exported["t1"]["intermediate"]] == [
        0.1, "NaN", "Infinity", {"default": "Infinity", "loss": "-Infinity"}]
