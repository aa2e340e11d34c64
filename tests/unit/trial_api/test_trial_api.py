"""The trial API in and outside an experiment, and the metric rule."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tunelab.base import env as _env
from tunelab.base import scalar_of
from tunelab.trial_api import _api


@pytest.fixture
def in_trial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    metrics = tmp_path / "metrics.jsonl"
    for name, value in {
        _env.TRIAL_ID: "AbC12", _env.EXPERIMENT_ID: "exp12345", _env.SEQUENCE_ID: "7",
        _env.PARAMETERS: json.dumps({"lr": 0.01, "model": {"_name": "cnn", "k": 3}}),
        _env.METRICS_FILE: str(metrics), _env.CHANNEL: "",
    }.items():
        monkeypatch.setenv(name, value)
    _api._reset_for_tests()
    yield metrics
    _api._reset_for_tests()


@pytest.fixture
def standalone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (_env.TRIAL_ID, "NNI_TRIAL_JOB_ID", _env.EXPERIMENT_ID, "NNI_EXP_ID", _env.SEQUENCE_ID):
        monkeypatch.delenv(name, raising=False)
    _api._reset_for_tests()
    yield
    _api._reset_for_tests()


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_parameters_and_ids_come_from_the_environment(in_trial: Path) -> None:
    assert _api.get_next_parameter() == {"lr": 0.01, "model": {"_name": "cnn", "k": 3}}
    assert _api.get_current_parameter("lr") == 0.01
    assert _api.get_trial_id() == "AbC12"
    assert _api.get_experiment_id() == "exp12345"
    assert _api.get_sequence_id() == 7


def test_reports_are_appended_to_the_metrics_file(in_trial: Path) -> None:
    _api.get_next_parameter()
    _api.report_intermediate_result(0.5)
    _api.report_intermediate_result(np.float32(0.75))
    _api.report_final_result({"default": 0.9, "loss": 0.1})
    lines = read(in_trial)
    assert [(m["kind"], m["seq"], m["value"]) for m in lines] == [
        ("PERIODICAL", 0, 0.5), ("PERIODICAL", 1, 0.75), ("FINAL", 0, {"default": 0.9, "loss": 0.1})
    ]
    assert all(m["trial"] == "AbC12" for m in lines)


def test_second_final_warns_and_keeps_the_first(in_trial: Path) -> None:
    _api.report_final_result(1.0)
    with pytest.warns(RuntimeWarning, match="more than once"):
        _api.report_final_result(2.0)
    assert [m["value"] for m in read(in_trial)] == [1.0]


def _strict_lines(path: Path) -> list[dict[str, Any]]:
    def refuse(token: str) -> None:
        raise AssertionError(f"bare {token} in a metrics line")

    return [json.loads(line, parse_constant=refuse) for line in path.read_text().splitlines()]


def test_non_finite_metrics_are_written_as_strict_json(in_trial: Path) -> None:
    _api.report_intermediate_result(float("nan"))
    _api.report_intermediate_result({"default": np.float64("inf"), "loss": float("-inf")})
    with pytest.warns(RuntimeWarning, match="final metric is NaN: report a finite number"):
        _api.report_final_result(np.float32("nan"))
    assert [m["value"] for m in _strict_lines(in_trial)] == [
        "NaN", {"default": "Infinity", "loss": "-Infinity"}, "NaN"]


@pytest.mark.parametrize(
    ("metric", "message"),
    [("0.5", "must be a number"), ({"loss": 0.1}, "'default' key"), (None, "must be a number"),
     (np.array([1.0, 2.0]), "must be a scalar"), ({"default": "high"}, "metric\\['default'\\] must be a number"),
     (1 + 2j, "must be a number")],
)
def test_bad_metrics_raise_a_clear_type_error(in_trial: Path, metric: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        _api.report_final_result(metric)
    assert not in_trial.exists()


@pytest.mark.parametrize("metric", [1, 0.5, np.float64(0.25), np.int64(3), np.array(0.5), True, float("nan")])
def test_accepted_scalars(metric: Any) -> None:
    value = scalar_of(metric)
    assert isinstance(value, float)


def test_standalone_returns_empty_with_one_warning_and_logs_reports(
    standalone: None, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.warns(RuntimeWarning, match="without tunelab") as record:
        first = _api.get_next_parameter()
    second = _api.get_next_parameter()  # no second warning: pytest's "warnings as errors" would raise here
    assert first == second == {}
    assert len(record) == 1
    with caplog.at_level(logging.INFO, logger="tunelab.trial"):
        _api.report_intermediate_result(0.3)
        _api.report_final_result(0.4)
    assert "Intermediate result: 0.3" in caplog.text
    assert "Final result: 0.4" in caplog.text
    assert _api.get_trial_id() == "STANDALONE"
    assert _api.get_experiment_id() == "STANDALONE"
    assert _api.get_sequence_id() == 0


def test_metrics_reach_a_listening_socket(in_trial: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind("\0tunelab-test-channel-socket")
    server.listen(1)
    monkeypatch.setenv(_env.CHANNEL, "unix:@tunelab-test-channel-socket")
    _api._reset_for_tests()
    try:
        _api.report_final_result(0.125)
        conn, _ = server.accept()
        data = conn.recv(4096)
        conn.close()
    finally:
        server.close()
    assert json.loads(data)["value"] == 0.125


def test_reports_survive_a_missing_channel(in_trial: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_env.CHANNEL, "unix:@tunelab-nobody-listens-here")
    _api._reset_for_tests()
    _api.report_intermediate_result(1.0)
    _api.report_final_result(2.0)
    assert [m["value"] for m in read(in_trial)] == [1.0, 2.0]
