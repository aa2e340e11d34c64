"""NaN and infinities in a live experiment: one rule, one encoding (docs/json.md).

Real trial processes report NaN/inf intermediates and NaN, inf, -inf or a finite final. A non-finite final
fails its trial; nothing non-finite is ranked; every JSON output (REST, the live feed, CLI ``--json``,
exports, live manager and stored experiment alike) is strict JSON with "NaN"/"Infinity"/"-Infinity".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import free_port

TUNELAB = str(Path(sys.executable).parent / "tunelab")
TRIAL = textwrap.dedent("""
    import os, time
    import tunelab
    kind = tunelab.get_next_parameter()["kind"]
    while not os.path.exists(GO):  # the test opens the live feed first
        time.sleep(0.05)
    for value in (float("nan"), float("inf"), 0.5):
        tunelab.report_intermediate_result(value)
        time.sleep(0.2)
    tunelab.report_final_result({"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf"), "ok": 0.25}[kind])
""")
FINALS = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def strict(text: str) -> Any:
    """``json.loads`` that, like the browser's ``JSON.parse``, refuses bare NaN and Infinity."""
    def refuse(token: str) -> None:
        raise AssertionError(f"bare {token} in JSON output: {text[:300]}")

    return json.loads(text, parse_constant=refuse)


def run_cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([TUNELAB, *args], check=False, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"tunelab {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


def collect_feed(port: int, seen: list[Any], ready: threading.Event, stop: threading.Event) -> None:
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as raw, \
                raw.stream("GET", "/api/v1/events") as stream:
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    seen.append(line[len("data: "):])
                    ready.set()
                if stop.is_set():
                    return
    except httpx.HTTPError:
        return  # the manager stopped and closed the stream


def check_cli(env: dict[str, str], exp_id: str) -> None:
    best = strict(run_cli(env, "best", exp_id))
    assert best["value"] == 0.25
    assert best["parameters"] == {"kind": "ok"}
    rows = strict(run_cli(env, "trial", "ls", exp_id, "--json"))
    by_kind = {row["parameters"]["kind"]: row for row in rows}
    for kind, marker in FINALS.items():
        assert by_kind[kind]["status"] == "FAILED"
        assert by_kind[kind]["final"] == marker
        assert by_kind[kind]["message"] == f"final metric is {marker}: report a finite number"
    assert by_kind["ok"]["status"] == "SUCCEEDED"
    assert all(row["latest_intermediate"] == 0.5 for row in rows)
    ranked = strict(run_cli(env, "trial", "ls", exp_id, "--head", "5", "--json"))
    assert [row["parameters"]["kind"] for row in ranked] == ["ok"]
    exported = strict(run_cli(env, "export", exp_id, "--type", "json", "--intermediate"))
    assert {strict(r["value"]) if isinstance(r["value"], str) else r["value"] for r in exported} >= {0.25}
    # NNI's shape: each metric's JSON text, then the final one's (docs/from-nnictl.md)
    assert all([strict(m) for m in r["intermediate"]] == ["NaN", "Infinity", 0.5, strict(r["value"])]
               for r in exported)


@pytest.fixture
def live(tmp_path: Path) -> Any:
    (tmp_path / "trial.py").write_text(f"GO = {str(tmp_path / 'go')!r}\n" + TRIAL)
    config = {
        "experimentName": "nonfinite",
        "searchSpace": {"kind": {"_type": "choice", "_value": ["nan", "inf", "-inf", "ok"]}},
        "trialCommand": f"{sys.executable} trial.py", "trialCodeDirectory": str(tmp_path),
        "trialConcurrency": 4, "maxTrialNumber": 4, "tuner": {"name": "GridSearch"},
        "failFastTrials": 0,  # three of the four trials fail on purpose
        "trainingService": {"platform": "local"},
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    env = {**os.environ, "TUNELAB_HOME": str(tmp_path / "home")}
    port = free_port()
    yield env, port, tmp_path / "config.json"
    subprocess.run([TUNELAB, "stop", "nonfinite"], env=env, capture_output=True, timeout=60, check=False)


def test_non_finite_values_live_and_stored(live: Any) -> None:
    env, port, config = live
    seen: list[Any] = []
    ready, stop = threading.Event(), threading.Event()
    created = subprocess.run([TUNELAB, "create", "-c", str(config), "--port", str(port), "--id", "nonfinite"],
                             check=False, env=env, capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stdout + created.stderr
    feed = threading.Thread(target=collect_feed, args=(port, seen, ready, stop), daemon=True)
    feed.start()
    assert ready.wait(30), "no hello on the live feed"
    (config.parent / "go").touch()
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=10)
    try:
        import time

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            counts = strict(api.get("/experiment").text)["counts"]
            if sum(counts.values()) == 4 and counts["WAITING"] == counts["RUNNING"] == 0:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"trials did not end: {counts}")
        # the live manager's REST answers
        export = api.get("/export", params={"intermediate": True})
        assert export.status_code == 200, export.text
        assert len(strict(export.text)) == 4
        best = strict(api.get("/best").text)
        assert best["value"] == 0.25
        trials = strict(api.get("/trials").text)["trials"]
        detail = strict(api.get(f"/trials/{trials[0]['id']}").text)
        assert [m["value"] for m in detail["intermediate"]] == ["NaN", "Infinity", 0.5]
        check_cli(env, "nonfinite")
        # the live feed carried the non-finite values as markers, in valid JSON
        time.sleep(0.5)
        stop.set()
        batches = [strict(text) for text in seen]  # a bare NaN here loses the browser the whole batch
        metric_values = [m["value"] for batch in batches if isinstance(batch, list) for change in batch
                         if change.get("type") == "metrics" for m in change["metrics"]]
        assert {"NaN", "Infinity", "-Infinity", 0.5, 0.25} <= set(metric_values)
    finally:
        api.close()
    run_cli(env, "stop", "nonfinite")
    feed.join(30)
    check_cli(env, "nonfinite")  # the same answers from the stored experiment
