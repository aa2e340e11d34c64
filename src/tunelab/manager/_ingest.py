"""Turning raw metric messages from trials into stored metrics, in batches."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tunelab.base import DEFAULT_METRIC_KEY as DEFAULT_KEY
from tunelab.base import json_decode, scalar_of
from tunelab.trial import Metric, MetricKind

_KINDS = {kind.value: kind for kind in MetricKind}


def to_metric(message: Mapping[str, Any], key: str = DEFAULT_KEY) -> Metric | None:
    """A validated :class:`Metric` from a channel/file message, or None when it is malformed.

    Trials check metrics before sending (a bad one raises ``TypeError`` in the trial), so a malformed
    message only comes from a foreign writer; it is dropped rather than allowed to break the loop.
    The common shapes (a float value, an int sequence) skip the general conversions: this runs for every
    intermediate result, thousands of times a second under load. ``key`` reads dict values (``'default'``,
    or the primary objective of a multi-objective experiment).
    """
    try:
        kind = _KINDS[message["kind"]]
        sequence = message["seq"]
        if type(sequence) is not int:
            sequence = int(sequence)
        data = message["value"]
        if type(data) is not float:
            data = json_decode(data)  # trials write NaN and infinities as marker strings
        value = data if type(data) is float else scalar_of(data, key)
        timestamp = message.get("ts") or 0.0
        if type(timestamp) is not float:
            timestamp = float(timestamp)
        trial_id = message["trial"]
        if type(trial_id) is not str:
            trial_id = str(trial_id)
    except (KeyError, TypeError, ValueError):
        return None
    if sequence < 0 or not math.isfinite(timestamp):
        return None
    return Metric(trial_id=trial_id, kind=kind, sequence=sequence, value=value, data=data, timestamp=timestamp)


def read_metrics_file(path: Path, key: str = DEFAULT_KEY) -> Iterator[Metric]:
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
                metric = to_metric(message, key)
                if metric is not None:
                    yield metric


class MetricsFileTail:
    """Reads a trial's metrics file incrementally: each call returns the metrics appended since the last.

    Only complete lines are consumed while the trial may still be writing (a line is one ``write()`` in
    the trial, but a reader can still catch it half-way); ``final=True`` also takes a trailing fragment,
    for a process that has ended. A torn line from a crash is skipped.
    """

    def __init__(self, path: Path, offset: int = 0, key: str = DEFAULT_KEY) -> None:
        self.path = path
        self.offset = offset
        self.key = key

    @classmethod
    def at_end(cls, path: Path, key: str = DEFAULT_KEY) -> MetricsFileTail:
        """A tail that skips what the file holds now (a rerun appends after an earlier attempt's lines)."""
        try:
            return cls(path, path.stat().st_size, key)
        except OSError:
            return cls(path, key=key)

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
                message = json.loads(line.decode("utf-8"))
            except ValueError:
                continue
            if isinstance(message, dict):
                metric = to_metric(message, self.key)
                if metric is not None:
                    metrics.append(metric)
        return metrics
