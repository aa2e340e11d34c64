"""Validation of tuner class args: every error names ``tuner.classArgs.<name>``, the value and the rule."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tunelab.base import ConfigError


def check_number(name: str, value: Any, *, low: float, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        bound = f"between {low:g} and {high:g}" if math.isfinite(high) else f">= {low:g}"
        raise ConfigError(f"tuner.classArgs.{name}: must be a number {bound}, got {value!r}")
    return float(value)


def check_int(name: str, value: Any, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"tuner.classArgs.{name}: must be an integer >= {low}, got {value!r}")
    return value


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value.lower() not in choices:
        raise ConfigError(f"tuner.classArgs.{name}: must be one of {', '.join(choices)}, got {value!r}")
    return value.lower()
