"""The metric rule, shared by trial processes and the manager.

It lives in ``base`` because both sides need it (the trial API, the ``nni`` shim, the manager, NNI
import) and trial processes must check metrics without loading anything but the standard library
(``math``) and the JSON codec next to it.
"""

from __future__ import annotations

import math

from tunelab.base._json import encode as json_encode
from tunelab.base._json import encode_float

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT_KEY = "default"
MAX_METRIC_BYTES = 1_000_000  # NNI's limit on one serialized metric


def scalar_of(metric: Any, key: str = DEFAULT_KEY) -> float:
    """Return the scalar a tuner optimizes: the number itself or ``metric[key]``.

    ``key`` is NNI's ``'default'``, or the primary objective of an experiment that declares objectives.
    Accepts int, float, numpy scalars and anything ``float()`` converts without loss (a 0-d tensor), or a
    dict whose ``key`` is such a number. Raises ``TypeError`` naming the value otherwise. NaN is a
    number here: the tuner layer treats it as a failed evaluation.
    """
    if isinstance(metric, dict):
        if key not in metric:
            keys = ", ".join(repr(k) for k in list(metric)[:5])
            raise TypeError(
                f"metric dict must have a {key!r} key holding a number, got keys [{keys}]; "
                + ("report e.g. {'default': accuracy, 'loss': loss}" if key == DEFAULT_KEY else
                   f"the experiment's primary objective is {key!r}: report e.g. {{{key!r}: value, ...}}")
            )
        return _number(metric[key], where=f"metric[{key!r}]")
    return _number(metric, where="metric")


def _number(value: Any, *, where: str) -> float:
    if isinstance(value, (str, bytes, bytearray)) or value is None:
        raise TypeError(f"{where} must be a number, got {type(value).__name__} {value!r:.80}")
    if getattr(value, "ndim", 0) not in (0, None):
        raise TypeError(
            f"{where} must be a scalar, got an array of shape {getattr(value, 'shape', '?')}; "
            "report a single number such as float(x.mean())"
        )
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{where} must be a number, got {type(value).__name__} {value!r:.80}") from exc
    if isinstance(value, int) and not isinstance(value, bool) and math.isfinite(number) and int(number) != value:
        raise TypeError(f"{where} {value} cannot be stored as a float without loss")
    return number


def jsonable_metric(metric: Any) -> Any:
    """A metric as plain JSON data in the one encoding of ``tunelab.base`` (NaN and infinities as marker
    strings, numpy scalars as numbers); other objects become a float where ``float()`` takes them, else a
    string."""
    return json_encode(metric, default=_float_or_str)


def _float_or_str(value: Any) -> float | str:
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def final_problem(value: float) -> str | None:
    """Why a final result cannot be accepted (a non-finite number cannot be ranked), or None."""
    if math.isfinite(value):
        return None
    return f"final metric is {encode_float(value)}: report a finite number"
