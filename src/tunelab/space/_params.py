"""Typed parameters of a search space, with NNI's exact value semantics.

Every parameter maps to one flat dimension. Categorical parameters (``choice``, ``randint``) are coded by
the option index; numeric ones by a coordinate ``u`` in [0, 1]: linear in the value (or its log) for the
bounded types, the normal CDF for the normal types. The q-rounding and clipping are applied on the way
back, exactly as NNI's ``deformat_parameters`` does, so ``from_unit`` always returns a value NNI could
have produced.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from tunelab.space._keys import params_key

if TYPE_CHECKING:
    from tunelab.space._space import SearchSpace

_STD_NORMAL = NormalDist()
# Keep inverse-CDF arguments strictly inside (0, 1): the tails are clipped at about 8.2 sigma, beyond
# which a double cannot tell the CDF from 1 anyway.
_U_MIN = 1e-300
_U_MAX = 1.0 - 2.0**-53
# Relative tolerance when judging whether a value lies in a range or on the q-grid (floats round-trip
# through JSON and arithmetic, so an exact test would reject legitimate values).
_TOL = 1e-9
_MAX = sys.float_info.max
_LOG_MAX = math.log(_MAX)
_TINY = math.ulp(0.0)  # the smallest positive float


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def normal_cdf(z: float) -> float:
    """Standard normal CDF, accurate in both tails."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def normal_ppf(u: float) -> float:
    """Standard normal inverse CDF with the tails clipped (never returns an infinity)."""
    return _STD_NORMAL.inv_cdf(min(max(u, _U_MIN), _U_MAX))


@dataclass(frozen=True, slots=True)
class Choice:
    """``choice``: one of ``options``. With ``subspaces`` set it is a nested choice.

    In a nested choice every option is a dict with ``_name``; ``names[i]`` is that name and
    ``subspaces[i]`` the conditional sub-space that is active when option ``i`` is chosen. The value of a
    nested choice in parameters is ``{"_name": names[i], **subparameters}``.
    """

    name: str
    options: tuple[Any, ...]
    names: tuple[str, ...] | None = None
    subspaces: tuple[SearchSpace, ...] | None = None
    type: str = "choice"
    _keys: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self._keys:
            object.__setattr__(self, "_keys", tuple(params_key(option) for option in self.options))

    @property
    def nested(self) -> bool:
        return self.subspaces is not None

    @property
    def cardinality(self) -> int:
        return len(self.options)

    def option(self, index: int) -> Any:
        """The plain option at ``index`` (for a nested choice: only its ``_name``)."""
        if self.names is not None:
            return {"_name": self.names[index]}
        return self.options[index]

    def index_of(self, value: Any) -> int | None:
        """Index of ``value`` among the options (nested: matched by ``_name``), ``None`` if absent."""
        if self.names is not None:
            name = value.get("_name") if isinstance(value, Mapping) else None
            return self.names.index(name) if name in self.names else None
        key = params_key(value)
        return self._keys.index(key) if key in self._keys else None


@dataclass(frozen=True, slots=True)
class RandInt:
    """``randint``: an integer in ``[lower, upper)`` (NNI treats it as unordered categorical)."""

    name: str
    lower: int
    upper: int
    type: str = "randint"

    @property
    def cardinality(self) -> int:
        return self.upper - self.lower

    def option(self, index: int) -> int:
        return self.lower + index

    def index_of(self, value: Any) -> int | None:
        if not _is_number(value) or not math.isfinite(value) or value != int(value):
            return None
        number = int(value)
        return number - self.lower if self.lower <= number < self.upper else None


@dataclass(frozen=True, slots=True)
class Numeric:
    """The eight numeric types: uniform / normal, optionally log (``log``) and quantized (``q``).

    Bounded types carry ``low``/``high`` (the user's values); normal types carry ``mu``/``sigma`` (of the
    log for ``lognormal``/``qlognormal``, as NNI and numpy define them).
    """

    name: str
    type: str
    low: float = 0.0
    high: float = 1.0
    mu: float = 0.0
    sigma: float = 1.0
    q: float | None = None
    log: bool = False
    normal: bool = False

    def _t(self, x: float) -> float:
        if not self.log:
            return x
        return math.log(x) if x > 0 else -math.inf

    def from_unit(self, u: float) -> float:
        """The parameter value at coordinate ``u`` (q-rounded and clipped as NNI does)."""
        if self.normal:
            t = self.mu + self.sigma * normal_ppf(u)
        else:
            tlow, thigh = self._t(self.low), self._t(self.high)
            u = min(max(u, 0.0), 1.0)
            span = thigh - tlow
            # A range wider than the largest float ([-1e308, 1e308]) overflows the span: blend the ends
            # instead (inf * 0 would be NaN); the common case keeps the exact formula.
            t = tlow + u * span if math.isfinite(span) else tlow * (1.0 - u) + thigh * u
        return self.finish(t)

    def finish(self, t: float) -> float:
        """Map an internal coordinate (value, or log-value for log types) to a parameter value."""
        if self.log:
            # Never an infinity or (unquantized) zero from a huge mu or sigma: exp() overflows at ~709.78
            # and underflows to 0.0, which is not a lognormal value.
            x = max(math.exp(min(t, _LOG_MAX)), 0.0 if self.q is not None else _TINY)
        else:
            x = min(max(t, -_MAX), _MAX)
        if self.q is not None and math.isfinite(x):
            x = _round_to_q(x, self.q)
        if not self.normal:  # NNI clips q-types; clipping the others only guards float error
            x = min(max(x, self.low), self.high)
        return float(x)

    def real_at(self, u: float) -> float:
        """Like :meth:`from_unit` but the ends of a normal type map to the infinities (grid refinement)."""
        if self.normal and u <= 0.0:
            return self.finish(-math.inf)
        if self.normal and u >= 1.0:
            return self.finish(math.inf)
        return self.from_unit(u)

    def to_unit(self, x: Any) -> float:
        """Coordinate of value ``x``; NaN when ``x`` is not a number; clipped into [0, 1]."""
        if not _is_number(x) or math.isnan(x):
            return math.nan
        t = self._t(float(x))
        if self.normal:
            return normal_cdf((t - self.mu) / self.sigma)
        tlow, thigh = self._t(self.low), self._t(self.high)
        if not math.isfinite(thigh - tlow):  # a span beyond the largest float: compute with halves
            return min(max((t / 2 - tlow / 2) / (thigh / 2 - tlow / 2), 0.0), 1.0)
        return min(max((t - tlow) / (thigh - tlow), 0.0), 1.0)

    def problem(self, x: Any) -> str | None:
        """Why ``x`` is not a value of this parameter, or ``None`` when it is."""
        if not _is_number(x):
            return f"expected a number for {self.type}, got {type(x).__name__} {x!r:.60}"
        if not math.isfinite(x):
            return f"expected a finite number, got {x}"
        if not self.normal:
            span = self.high - self.low
            if x < self.low - _TOL * span or x > self.high + _TOL * span:
                return f"{x} is outside {self.type} [{self.low}, {self.high}]"
            if _near(x, self.low) or _near(x, self.high):
                return None  # the clip bounds are always valid values of q-types
        elif self.log and (x < 0 or (x == 0 and self.q is None)):
            return f"{x} is not a possible value of {self.type} (values are positive)"
        if self.q is not None and not _on_grid(x, self.q):
            return f"{x} is not a multiple of q={self.q} ({self.type})"
        return None


def _near(a: float, b: float) -> bool:
    return abs(a - b) <= _TOL * max(1.0, abs(a), abs(b))


def _round_to_q(x: float, q: float) -> float:
    ratio = x / q
    if not math.isfinite(ratio):
        return x  # q is far below the float resolution at x: every float is on the grid
    y = round(ratio) * q
    # Rounding away from zero can pass the largest float; the multiple towards zero stays finite.
    return y if math.isfinite(y) else math.trunc(ratio) * q


def _on_grid(x: float, q: float) -> bool:
    ratio = x / q
    if not math.isfinite(ratio):
        return True  # see _round_to_q
    return bool(abs(ratio - round(ratio)) <= 1e-6 * max(1.0, abs(ratio)) ** 0.5)


Parameter = Choice | RandInt | Numeric
