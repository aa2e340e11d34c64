"""The small parts behind the reliability fixes, tested in-process."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tunelab.manager import _faults
from tunelab.manager._ingest import MetricsFileTail, to_metric
from tunelab.manager._manager import _failure_message
from tunelab.runners import TrialExit, describe_exit
from tunelab.trial import MetricKind


def _line(seq: int, value: float, kind: str = "PERIODICAL") -> bytes:
    return (json.dumps({"trial": "t1", "kind": kind, "seq": seq, "value": value, "ts": 1.0}) + "\n").encode()


def test_tail_reads_only_what_was_appended_and_waits_for_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    tail = MetricsFileTail(path)
    assert tail.read_new() == []  # no file yet
    path.write_bytes(_line(0, 0.5) + _line(1, 0.25))
    assert [m.sequence for m in tail.read_new()] == [0, 1]
    assert tail.read_new() == []
    half = _line(2, 0.125)
    with open(path, "ab") as handle:
        handle.write(half[:10])
    assert tail.read_new() == []  # a line being written is left for later
    with open(path, "ab") as handle:
        handle.write(half[10:] + b"garbage\n" + _line(0, 9.0, "FINAL"))
    new = tail.read_new()
    assert [(m.kind, m.sequence) for m in new] == [(MetricKind.PERIODICAL, 2), (MetricKind.FINAL, 0)]


def test_tail_at_end_skips_an_earlier_attempt(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_bytes(_line(0, 1.0) + _line(1, 2.0))
    tail = MetricsFileTail.at_end(path)
    with open(path, "ab") as handle:
        handle.write(_line(0, 3.0))
    assert [m.value for m in tail.read_new()] == [3.0]
    assert MetricsFileTail.at_end(tmp_path / "missing").offset == 0


def test_tail_takes_a_last_line_without_newline_once_the_trial_ended(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_bytes(_line(0, 1.0) + _line(1, 2.0).rstrip(b"\n"))
    tail = MetricsFileTail(path)
    assert len(tail.read_new()) == 1
    assert [m.sequence for m in tail.read_new(final=True)] == [1]


@pytest.mark.parametrize("message", [
    {"trial": "t", "kind": "PERIODICAL", "seq": "3", "value": 1, "ts": "2.5"},
    {"trial": 7, "kind": "FINAL", "seq": 0, "value": {"default": 0.5, "loss": 1}},
])
def test_to_metric_still_converts_the_uncommon_shapes(message: dict[str, object]) -> None:
    metric = to_metric(message)
    assert metric is not None
    assert isinstance(metric.sequence, int)
    assert isinstance(metric.trial_id, str)
    assert isinstance(metric.value, float)
    assert isinstance(metric.timestamp, float)


@pytest.mark.parametrize("message", [
    {}, {"trial": "t", "kind": "OTHER", "seq": 0, "value": 1}, {"trial": "t", "kind": "FINAL", "seq": -1, "value": 1},
    {"trial": "t", "kind": "FINAL", "seq": 0, "value": "x"}, {"trial": "t", "kind": "FINAL", "seq": 0, "value": 1,
                                                             "ts": float("inf")},
    {"trial": "t", "kind": ["FINAL"], "seq": 0, "value": 1},
])
def test_to_metric_drops_malformed_messages(message: dict[str, object]) -> None:
    assert to_metric(message) is None


def test_failure_message_prefers_the_trials_own_words_over_the_shell() -> None:
    exit_info = TrialExit("t", 139, stderr_tail="loading data\nabout to crash\nSegmentation fault (core dumped)\n")
    message = _failure_message(exit_info)
    first = message.splitlines()[0]
    assert first == "exited with code 139 (signal SIGSEGV): about to crash"
    assert "Segmentation fault (core dumped)" in message
    assert "loading data" in message
    assert _failure_message(TrialExit("t", 1, stderr_tail="")) == "exited with code 1"
    assert _failure_message(TrialExit("t", 2, stderr_tail="only line")) == "exited with code 2: only line"
    long = _failure_message(TrialExit("t", 1, stderr_tail="x" * 10_000 + "\n" + "y" * 10_000))
    assert len(long) <= 4000


def test_describe_names_signals() -> None:
    assert describe_exit(-signal.SIGKILL) == "signal SIGKILL"
    assert describe_exit(128 + signal.SIGSEGV) == "code 139 (signal SIGSEGV)"
    assert describe_exit(3) == "code 3"
    assert describe_exit(None) == "unknown status"


def test_fault_plan_parsing_and_firing(monkeypatch: pytest.MonkeyPatch) -> None:
    exits: list[int] = []
    monkeypatch.setattr(os, "_exit", exits.append)
    try:
        _faults.reset("after_spawn:2, metric_write")
        _faults.fault_point("after_spawn")
        _faults.fault_point("tuner_step")
        assert exits == []
        _faults.fault_point("after_spawn")
        assert exits == [137]
        _faults.fault_point("metric_write")
        assert exits == [137, 137]
        with pytest.raises(ValueError, match="unknown fault point 'after_spwan'"):
            _faults.reset("after_spwan:1")
        with pytest.raises(ValueError, match="integer count"):
            _faults.reset("after_spawn:x")
    finally:
        _faults.reset("")
    _faults.fault_point("after_spawn")
    assert exits == [137, 137]


def test_a_resumed_tuner_sees_every_finished_trial_with_its_curve(tmp_path: Path) -> None:
    import asyncio
    import sys

    from tunelab.config import parse_config
    from tunelab.manager import Mode, create_session, open_session

    (tmp_path / "trial.py").write_text(
        "import tunelab.trial_api as api\nx = api.get_next_parameter()['x']\n"
        "api.report_intermediate_result(x)\napi.report_intermediate_result(2 * x)\napi.report_final_result(3 * x)\n")
    data = {
        "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
        "trialCommand": f"{sys.executable} trial.py", "trialCodeDirectory": str(tmp_path),
        "trialConcurrency": 2, "maxTrialNumber": 4, "tuner": {"name": "TPE", "classArgs": {"seed": 3}},
        "trainingService": {"platform": "local"}, "experimentWorkingDirectory": str(tmp_path / "home"),
    }
    session = create_session(parse_config(data), experiment_id="hist")
    assert session.manager is not None
    asyncio.run(session.manager.run())
    session.close()

    resumed = open_session("hist", mode=Mode.RESUME, root=tmp_path / "home")
    try:
        manager = resumed.manager
        assert manager is not None
        asyncio.run(manager._recover())
        finished = {o.trial_id: o for o in manager._history.finished}
        trials = resumed.store.list_trials()
        assert set(finished) == {t.id for t in trials}
        for trial in trials:
            x = trial.parameters["x"]
            assert finished[trial.id].value == pytest.approx(3 * x)
            assert finished[trial.id].intermediate == pytest.approx((x, 2 * x))
        assert manager._algorithm_trials == 4  # the budget counts what ran before
    finally:
        resumed.close()
