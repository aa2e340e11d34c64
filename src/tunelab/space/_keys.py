"""A canonical text key for a parameter set, so that equal parameters compare equal across processes.

Tuners deduplicate proposals by this key. Parameters may come back from storage through JSON (tuples become
lists, numpy scalars become floats), so the key normalizes those differences instead of trusting ``==``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any


def params_key(params: Any) -> str:
    """Return a deterministic string identifying ``params`` (dict keys sorted; ``1`` and ``1.0`` equal).

    Booleans stay distinct from numbers (``True`` is not the option ``1``); NaN and infinities get stable
    spellings so that the key never depends on object identity or hash seeds.
    """
    return json.dumps(_normalize(params), sort_keys=True, separators=(",", ":"))


def _normalize(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _normalize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalize(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return _normalize(value.item())  # numpy scalar
    if isinstance(value, int) and float(value) != value:
        return value  # beyond float precision: keep exact so neighbouring integers stay distinct
    if isinstance(value, (int, float)):
        number = float(value)
        if math.isfinite(number):
            return number
        return "nan" if math.isnan(number) else ("inf" if number > 0 else "-inf")
    return repr(value)
