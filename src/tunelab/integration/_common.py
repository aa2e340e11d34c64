"""What every framework callback shares: reporting a metric stream and choosing the final result."""

from __future__ import annotations

import math
from typing import Any

from tunelab.base import InvalidInputError
from tunelab.trial_api import report_final_result, report_intermediate_result, should_stop

FINAL_CHOICES = ("last", "best")
MODE_CHOICES = ("max", "min")


class MetricReporter:
    """Reports each value of one metric and, once, the final one (the last, or the best by ``mode``)."""

    def __init__(self, monitor: str, *, final: str = "last", mode: str = "max") -> None:
        if not isinstance(monitor, str) or not monitor:
            raise InvalidInputError(f"monitor: must name a metric, got {monitor!r}; e.g. monitor='val_acc'")
        if final not in FINAL_CHOICES:
            raise InvalidInputError(f"final: must be 'last' or 'best', got {final!r}")
        if mode not in MODE_CHOICES:
            raise InvalidInputError(f"mode: must be 'max' or 'min', got {mode!r}")
        self.monitor = monitor
        self.final = final
        self.mode = mode
        self.history: list[float] = []
        self.final_reported = False
        should_stop()  # listen for the manager's stop request from the start of training

    def report(self, value: Any) -> None:
        """Report one value (a number, or a 0-d tensor/array) as an intermediate result."""
        scalar = _to_float(value, self.monitor)
        self.history.append(scalar)
        report_intermediate_result(scalar)

    def report_final(self) -> None:
        """Report the final result once; nothing when no value was ever seen (the trial then has none)."""
        if self.final_reported or not self.history:
            return
        self.final_reported = True
        report_final_result(self.final_value())

    def final_value(self) -> float:
        if self.final == "last":
            return self.history[-1]
        finite = [v for v in self.history if not math.isnan(v)] or self.history
        return max(finite) if self.mode == "max" else min(finite)

    @staticmethod
    def stop_requested() -> bool:
        return should_stop()


def _to_float(value: Any, monitor: str) -> float:
    item = getattr(value, "item", None)  # torch tensors, numpy scalars
    if callable(item):
        value = item()
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{monitor}: the monitored metric must be a number, got {value!r}") from None


def missing_metric(monitor: str, available: Any) -> InvalidInputError:
    names = ", ".join(sorted(str(k) for k in available)) or "none"
    return InvalidInputError(f"monitor: no metric named {monitor!r} was logged (logged: {names}); "
                             "pass one of those names")
