"""The REST API of a real experiment: a detached manager running real trial processes.

Steering (concurrency, customized trial, kill, stop), the trial list against the real store, failed
trials' stderr, and live updates over server-sent events.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import free_port

PORT = free_port()  # chosen at import: the module's one live manager listens there
TUNELAB = str(Path(sys.executable).parent / "tunelab")

TRIAL = textwrap.dedent("""
    import sys, time
    from tunelab.trial_api import get_next_parameter, report_final_result, report_intermediate_result
    p = get_next_parameter()
    if p["kind"] == "fail":
        print("ValueError: planned failure for the UI test", file=sys.stderr)
        sys.exit(3)
    steps = int(p.get("steps", 4))
    for i in range(steps):
        report_intermediate_result(p["x"] * (i + 1) / steps)
        time.sleep(float(p.get("sleep", 0.05)))
    report_final_result(p["x"])
""")


def write_experiment(directory: Path, *, max_trials: int = 6, concurrency: int = 2) -> Path:
    (directory / "trial.py").write_text(TRIAL)
    config = {
        "experimentName": "api-live",
        "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]},
                        "kind": {"_type": "choice", "_value": ["ok", "ok", "fail"]}},
        "trialCommand": f"{sys.executable} trial.py",
        "trialCodeDirectory": str(directory),
        "trialConcurrency": concurrency,
        "maxTrialNumber": max_trials,
        "tuner": {"name": "Random", "classArgs": {"optimize_mode": "maximize", "seed": 7}},
        "trainingService": {"platform": "local"},
        "failFastTrials": 0,  # its first trials fail on purpose (seed 7 draws three "fail"s first)
    }
    path = directory / "config.json"
    path.write_text(json.dumps(config))
    return path


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    directory = tmp_path_factory.mktemp("live")
    config = write_experiment(directory)
    env = {**os.environ, "TUNELAB_HOME": str(directory / "home")}
    created = subprocess.run([TUNELAB, "create", "-c", str(config), "--port", str(PORT), "--id", "apilive"],
                             check=False, env=env, capture_output=True, text=True, timeout=120)
    if created.returncode != 0:
        subprocess.run([TUNELAB, "stop", "apilive"], env=env, capture_output=True, timeout=60, check=False)
        pytest.fail(f"tunelab create failed ({created.returncode}): {created.stdout}{created.stderr}")
    client = httpx.Client(base_url=f"http://127.0.0.1:{PORT}/api/v1", timeout=10)
    try:
        yield client
    finally:
        client.close()
        subprocess.run([TUNELAB, "stop", "apilive"], env=env, capture_output=True, timeout=60, check=False)


def test_experiment_runs_to_its_budget_with_a_best_trial(api: httpx.Client) -> None:
    body = wait_for(lambda: (b := api.get("/experiment").json())["counts"]["WAITING"] == 0
                    and b["counts"]["RUNNING"] == 0 and sum(b["counts"].values()) >= 6 and b, "six trials to end")
    assert body["best"] is not None
    page = api.get("/trials", params={"sort": "final", "order": "desc", "limit": 1}).json()
    assert page["trials"][0]["id"] == body["best"]["id"]


def test_failed_trial_stderr_is_readable(api: httpx.Client) -> None:
    failed = wait_for(lambda: api.get("/trials", params={"filter": "status:FAILED"}).json()["trials"],
                      "a failed trial")
    log = api.get(f"/trials/{failed[0]['id']}/logs/stderr").json()
    assert "planned failure" in log["text"]


def test_concurrency_update_is_applied_and_published(api: httpx.Client) -> None:
    body = api.patch("/experiment", json={"trialConcurrency": 3}).json()
    assert body["config"]["trialConcurrency"] == 3
    assert api.get("/experiment").json()["config"]["trialConcurrency"] == 3


def test_customized_trial_runs_and_can_be_killed(api: httpx.Client) -> None:
    response = api.post("/trials", json={"parameters": {"x": 0.5, "kind": "ok", "steps": 10_000, "sleep": 0.05}})
    assert response.status_code == 201
    body = response.json()
    assert body["warnings"]  # steps/sleep are outside the space: accepted with a warning
    trial_id = body["trial"]["id"]
    wait_for(lambda: api.get(f"/trials/{trial_id}").json()["intermediate_count"] > 0, "the custom trial to report")
    assert api.post(f"/trials/{trial_id}/kill").json()["status"] == "USER_CANCELED"
    wait_for(lambda: api.get(f"/trials/{trial_id}").json()["status"] == "USER_CANCELED", "the kill")


def test_customized_trial_finishes(api: httpx.Client) -> None:
    trial_id = api.post("/trials", json={"parameters": {"x": 0.25, "kind": "ok"}}).json()["trial"]["id"]
    done = wait_for(lambda: (t := api.get(f"/trials/{trial_id}").json())["status"] == "SUCCEEDED" and t,
                    "the custom trial to succeed")
    assert done["final"] == 0.25
    assert done["source"] == "customized"


def test_live_updates_stream_only_changes(api: httpx.Client) -> None:
    seen: list[dict[str, Any]] = []
    with httpx.Client(base_url=f"http://127.0.0.1:{PORT}", timeout=30) as raw, \
            raw.stream("GET", "/api/v1/events") as stream:
        lines = stream.iter_lines()
        assert next(lines) == "event: hello"
        api.post("/trials", json={"parameters": {"x": 0.75, "kind": "ok", "steps": 3}})
        event = None
        for line in lines:
            if line.startswith("event: "):
                event = line[len("event: "):]
            elif line.startswith("data: ") and event == "changes":
                seen.extend(json.loads(line[len("data: "):]))
                types = {change["type"] for change in seen}
                if {"trial", "metrics"} <= types:
                    break
    trial_changes = [c for c in seen if c["type"] == "trial"]
    assert all(set(c) == {"type", "trial", "seq"} for c in trial_changes)
    metric_changes = [m for c in seen if c["type"] == "metrics" for m in c["metrics"]]
    assert metric_changes
    assert {"trial_id", "sequence", "value"} <= set(metric_changes[0])


def test_charts_of_a_real_experiment(api: httpx.Client) -> None:
    history = api.get("/charts/history").json()
    assert history["points"]["sequence"]
    curves = api.get("/charts/curves").json()["curves"]
    assert curves
    assert all(len(c["sequence"]) >= 1 for c in curves)
