"""Turning raw metric messages from trials into stored metrics, in batches."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tunelab.trial import Metric, MetricKind
from tunelab.trial_api._metric import scalar_of


def to_metric(message: Mapping[str, Any]) -> Metric | None:
    """A validated :class:`Metric` from a channel/file message, or None when it is malformed.

    Trials check metrics before sending (a bad one raises ``TypeError`` in the trial), so a malformed
    message only comes from a foreign writer; it is dropped rather than allowed to break the loop.
    """
    try:
        kind = MetricKind(message["kind"])
        sequence = int(message["seq"])
        data = message["value"]
        value = scalar_of(data)
        timestamp = float(message.get("ts") or 0.0)
        trial_id = str(message["trial"])
    except (KeyError, TypeError, ValueError):
        return None
    if sequence < 0 or not math.isfinite(timestamp):
        return None
    return Metric(trial_id=trial_id, kind=kind, sequence=sequence, value=value, data=data, timestamp=timestamp)


def read_metrics_file(path: Path) -> Iterator[Metric]:
    """Every well-formed metric in a trial's metrics file (a torn last line from a crash is skipped)."""
    try:
        handle = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115 - closed below
    except OSError:
        return
    with handle:
        for line in handle:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict):
                metric = to_metric(message)
                if metric is not None:
                    yield metric


class MetricsFileTail:
    """Reads a trial's metrics file incrementally: each call returns the metrics appended since the last.

    Only complete lines are consumed while the trial may still be writing (a line is one ``write()`` in
    the trial, but a reader can still catch it half-way); ``final=True`` also takes a trailing fragment,
    for a process that has ended. A torn line from a crash is skipped.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def read_new(self, *, final: bool = False) -> list[Metric]:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except OSError:
            return []
        end = len(data) if final else data.rfind(b"\n") + 1
        self.offset += end
        metrics: list[Metric] = []
        for line in data[:end].splitlines():
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict):
                metric = to_metric(message)
                if metric is not None:
                    metrics.append(metric)
        return metrics
