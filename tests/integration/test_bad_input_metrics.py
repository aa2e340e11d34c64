"""Bad metrics: a trial reporting something that is not a number fails with a clear TypeError in its
message; garbage written to the live channel or the metrics file by a foreign writer is dropped; in every
case the values reported before stay stored."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.reliability.harness import LAB_ENV, Lab

from tunelab.config import parse_config
from tunelab.manager import create_session
from tunelab.trial import MetricKind, Trial, TrialState

PRELUDE = """
import json, os, socket, sys
import tunelab.trial_api as api
case = api.get_next_parameter()["case"]
api.report_intermediate_result(0.5)
"""

BAD_REPORTS: dict[str, tuple[str, list[str]]] = {
    "string": ("api.report_final_result('0.9')", ["TypeError", "metric must be a number", "str"]),
    "dict_without_default": ("api.report_final_result({'loss': 0.1})", ["TypeError", "'default'", "'loss'"]),
    "list": ("api.report_intermediate_result([1, 2])", ["TypeError", "metric must be a number", "list"]),
    "none": ("api.report_final_result(None)", ["TypeError", "NoneType"]),
    "too_long": ("api.report_final_result({'default': 1.0, 'blob': 'x' * 2_000_000})", ["metric too long"]),
    "bool_in_dict": ("api.report_final_result({'default': 'high'})", ["TypeError", "metric['default']"]),
}

# A foreign writer on the live channel: every line below is dropped, the trial's own values still count.
CHANNEL_GARBAGE = r"""
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
address = os.environ["TUNELAB_CHANNEL"][len("unix:"):]
sock.connect("\0" + address[1:] if address.startswith("@") else address)
me = os.environ["TUNELAB_TRIAL_ID"]
lines = [b"not json", b"[1, 2, 3]", b"{}", b'{"trial": "%s"}' % me.encode(),
         b'{"trial": "%s", "kind": "SIDEWAYS", "seq": 1, "value": 1}' % me.encode(),
         b'{"trial": "%s", "kind": "PERIODICAL", "seq": -4, "value": 1}' % me.encode(),
         b'{"trial": "%s", "kind": "PERIODICAL", "seq": 1, "value": "NaN?"}' % me.encode(),
         b'{"trial": "nobody", "kind": "FINAL", "seq": 0, "value": 99}',
         b"\xff\xfe\x00garbage", b"{" * 5000]
sock.sendall(b"\n".join(lines) + b"\n")
sock.close()
with open(os.environ["TUNELAB_METRICS_FILE"], "ab") as f:
    f.write(b"torn line {\"trial\n" + b'{"trial": "%s", "kind": "FINAL", "seq": 0, "value": "x"}\n' % me.encode())
api.report_intermediate_result(0.75)
api.report_final_result(0.25)
"""


def _source() -> str:
    cases = {name: body for name, (body, _) in BAD_REPORTS.items()}
    cases["channel_garbage"] = CHANNEL_GARBAGE
    branches = "\n".join(
        f"{'if' if i == 0 else 'elif'} case == {name!r}:\n" + "\n".join("    " + line for line in body.splitlines())
        for i, (name, body) in enumerate(cases.items())
    )
    return PRELUDE + branches + "\n"


@pytest.fixture
def trials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, tuple[Trial, list[Any]]]]:
    lab = Lab(tmp_path)
    monkeypatch.setenv(LAB_ENV, lab.token)
    lab.write("trial.py", _source())
    cases = [*BAD_REPORTS, "channel_garbage"]
    data: dict[str, Any] = {
        "searchSpace": {"case": {"_type": "choice", "_value": cases}},
        "trialCommand": f"{sys.executable} trial.py",
        "trialCodeDirectory": str(lab.code),
        "trialConcurrency": 4,
        "maxTrialNumber": len(cases),
        "tuner": {"name": "GridSearch"},
        "trainingService": {"platform": "local"},
        "experimentWorkingDirectory": str(lab.home),
        "failFastTrials": 0,  # every bad report fails its trial; all of them must run
    }
    session = create_session(parse_config(data), experiment_id="metrics")
    try:
        assert session.manager is not None
        asyncio.run(session.manager.run())
        yield {t.parameters["case"]: (t, session.store.get_metrics(t.id)) for t in session.store.list_trials()}
    finally:
        session.close()
        lab.close()


def test_bad_metrics(trials: dict[str, tuple[Trial, list[Any]]]) -> None:
    for case, (_, needles) in BAD_REPORTS.items():
        trial, metrics = trials[case]
        assert trial.status == TrialState.FAILED, case
        for needle in needles:
            assert needle in trial.message, (case, needle, trial.message)
        # The value reported before the bad one is kept.
        assert [(m.kind, m.sequence, m.value) for m in metrics] == [(MetricKind.PERIODICAL, 0, 0.5)], case
    trial, metrics = trials["channel_garbage"]
    assert trial.status == TrialState.SUCCEEDED, trial.message
    assert trial.final == 0.25
    assert sorted((m.kind.value, m.sequence, m.value) for m in metrics) == [
        ("FINAL", 0, 0.25), ("PERIODICAL", 0, 0.5), ("PERIODICAL", 1, 0.75)]
    print(f"\nbad metrics: {len(BAD_REPORTS)} bad reports + 11 foreign lines (channel and file) checked")
