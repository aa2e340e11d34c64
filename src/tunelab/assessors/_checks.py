"""Validation of assessor class args: errors name ``assessor.classArgs.<name>``, the value and the rule."""

from __future__ import annotations

import math
from typing import Any

from tunelab.base import ConfigError


def check_int(name: str, value: Any, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"assessor.classArgs.{name}: must be an integer >= {low}, got {value!r}")
    return value


def check_number(name: str, value: Any, *, low: float, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        bound = f"between {low:g} and {high:g}" if math.isfinite(high) else f">= {low:g}"
        raise ConfigError(f"assessor.classArgs.{name}: must be a number {bound}, got {value!r}")
    return float(value)
