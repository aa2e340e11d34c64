"""The check a trial's final result must pass when an experiment declares objectives.

Standard library only: trial processes run it before a final result leaves them (a missing key is the
script's mistake, best reported at the line that made it), and the manager runs it again on what arrives.
"""

from __future__ import annotations

import math

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any


def objective_metric_problem(metric: Any, names: Sequence[str]) -> str | None:
    """Why ``metric`` cannot serve as the final result of an experiment whose objectives are ``names``, or
    None when it can: it must be a dict holding every name with a finite number."""
    example = ", ".join(f"{name!r}: ..." for name in names)
    if not isinstance(metric, dict):
        return (
            f"the final result must be a dict with the objectives {', '.join(names)}, got "
            f"{type(metric).__name__} {metric!r:.80}; report e.g. {{{example}}}"
        )
    for name in names:
        if name not in metric:
            keys = ", ".join(repr(key) for key in list(metric)[:8])
            return (
                f"the final result lacks the objective {name!r} (it has {keys or 'no keys'}); "
                f"report every objective the experiment declares: {{{example}}}"
            )
        value = metric[name]
        if isinstance(value, bool):
            return f"objective {name!r} must be a number, got bool {value!r}"
        if not isinstance(value, (int, float)):
            try:  # numpy scalars and 0-d tensors convert; strings and containers do not
                if isinstance(value, (str, bytes, bytearray)) or getattr(value, "ndim", 0) not in (0, None):
                    raise TypeError
                number = float(value)
            except (TypeError, ValueError):
                return f"objective {name!r} must be a number, got {type(value).__name__} {value!r:.80}"
        else:
            number = float(value)
        if not math.isfinite(number):
            return f"objective {name!r} is {number}, which cannot be ranked; report a finite number"
    return None
