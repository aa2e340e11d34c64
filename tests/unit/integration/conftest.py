"""A fake trial environment for the callback tests: reports land in a metrics file the test reads, and
``stop_after(n)`` sends this process a real SIGTERM after the n-th intermediate report (the manager's stop)."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tunelab.base import env as _env
from tunelab.trial_api import _api, _stop


class FakeTrial:
    def __init__(self, metrics: Path) -> None:
        self.metrics = metrics

    def reports(self) -> list[dict[str, Any]]:
        if not self.metrics.exists():
            return []
        return [json.loads(line) for line in self.metrics.read_text().splitlines()]

    def intermediates(self) -> list[float]:
        return [r["value"] for r in self.reports() if r["kind"] == "PERIODICAL"]

    def finals(self) -> list[float]:
        return [r["value"] for r in self.reports() if r["kind"] == "FINAL"]

    def stop_now(self) -> None:
        """What the manager does: SIGTERM. The callback's handler turns it into should_stop()."""
        os.kill(os.getpid(), signal.SIGTERM)

    def stop_after(self, count: int) -> bool:
        """Send the stop once ``count`` intermediate results were reported; True when it was sent now."""
        if len(self.intermediates()) == count and not _stop._stop_requested:
            self.stop_now()
            return True
        return False


@pytest.fixture
def trial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTrial]:
    monkeypatch.setenv(_env.TRIAL_ID, "T1")
    monkeypatch.setenv(_env.EXPERIMENT_ID, "E1")
    monkeypatch.setenv(_env.METRICS_FILE, str(tmp_path / "metrics.jsonl"))
    monkeypatch.delenv(_env.CHANNEL, raising=False)
    _api._reset_for_tests()
    _stop._reset_for_tests()
    try:
        yield FakeTrial(tmp_path / "metrics.jsonl")
    finally:
        _api._reset_for_tests()
        _stop._reset_for_tests()
