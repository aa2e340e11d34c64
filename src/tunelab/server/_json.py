"""JSON-safe values: the wire format has no NaN or infinities, so they travel as strings."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def json_float(value: float | None) -> float | str | None:
    """A finite float as is; NaN and infinities as ``"nan"``, ``"inf"``, ``"-inf"``."""
    if value is None or math.isfinite(value):
        return value
    return str(value)


def jsonable(value: Any) -> Any:
    """``value`` with non-finite floats replaced as in :func:`json_float` and unknown objects as strings."""
    if isinstance(value, float):
        return json_float(value)
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)
