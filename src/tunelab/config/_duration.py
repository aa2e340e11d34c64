"""Durations as NNI writes them: ``"2h"``, ``"0.5h"``, ``"30m"``, ``"10s"``, ``"1d"`` or plain seconds."""

from __future__ import annotations

import math
import re
from typing import Any

from tunelab.base import ConfigError

_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([smhd]?)\s*$", re.IGNORECASE)
_FIX = 'write a number of seconds or a number followed by s, m, h or d, e.g. "30m" or "0.5h"'


def parse_duration(value: Any, *, field: str) -> float:
    """Return ``value`` in seconds.

    Accepts a non-negative int or float (seconds) or a string ``<number><unit>`` with unit ``s|m|h|d``
    (case-insensitive; a bare number string means seconds). Raises :class:`ConfigError` naming ``field``
    for anything else, including booleans, negative numbers, NaN and infinity.
    """
    seconds = _seconds_or_none(value)
    if seconds is None:
        raise ConfigError(f"{field}: not a duration, got {value!r}; {_FIX}")
    return seconds


def _seconds_or_none(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            return None
        seconds = float(match.group(1)) * _UNIT_SECONDS[(match.group(2) or "s").lower()]
    else:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds
