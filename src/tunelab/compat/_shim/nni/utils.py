"""The public names of NNI 3.0's ``nni.utils`` that HPO code uses (trial scripts, custom tuners and
assessors): ``merge_parameter``, ``extract_scalar_reward``, ``OptimizeMode``, ``MetricType``,
``NodeType``, ``ClassArgsValidator`` and the small helpers, with NNI's behaviour.

Not provided: ``json2space`` / ``json2parameter`` (internals of NNI's evolution tuner, numpy-based).
"""

from __future__ import annotations

from enum import Enum, unique
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@unique
class OptimizeMode(Enum):
    """Whether the tuner minimizes or maximizes the reward (NNI's values)."""

    Minimize = "minimize"
    Maximize = "maximize"


class NodeType:
    """The keys of a search-space node."""

    ROOT = "root"
    TYPE = "_type"
    VALUE = "_value"
    INDEX = "_index"
    NAME = "_name"


class MetricType:
    """The kinds of metric data NNI's manager sends to tuners and assessors."""

    FINAL = "FINAL"
    PERIODICAL = "PERIODICAL"
    REQUEST_PARAMETER = "REQUEST_PARAMETER"


def split_index(params: Any) -> Any:
    """Drop the ``_index`` wrappers (``{"_index": i, "_value": v}`` -> ``v``) from tuner parameters."""
    if isinstance(params, dict):
        if NodeType.INDEX in params:
            return split_index(params[NodeType.VALUE])
        return {key: split_index(value) for key, value in params.items()}
    return params


def convert_dict2tuple(value: Any) -> Any:
    """A dict (recursively) as a sorted tuple of items, to make it hashable. Changes ``value`` in place,
    as NNI's does."""
    if isinstance(value, dict):
        for key in value:
            value[key] = convert_dict2tuple(value[key])
        return tuple(sorted(value.items()))
    return value


def _and(*parts: Any, error: str | None = None) -> Any:
    """``schema.And`` when the ``schema`` package is installed (what NNI returns, so validators can be
    combined with user ``Schema`` objects); else a small stand-in with ``validate``."""
    try:
        from schema import And
    except ImportError:
        return _Check(parts, error)
    return And(*parts, error=error)


class _Check:
    def __init__(self, parts: tuple[Any, ...], error: str | None) -> None:
        self.parts = parts
        self.error = error

    def validate(self, data: Any) -> Any:
        for part in self.parts:
            if isinstance(part, _Check):
                data = part.validate(data)
                continue
            ok = isinstance(data, part) if isinstance(part, type) else bool(part(data))
            if not ok:
                raise ValueError(self.error or f"{data!r} is not valid")
        return data


class ClassArgsValidator:
    """Base class of a tuner's/assessor's ``classArgs`` validator (NNI's interface): override
    ``validate_class_args``; ``choices``, ``range`` and ``path`` build schema checks."""

    def validate_class_args(self, **kwargs: Any) -> None:
        pass

    def choices(self, key: str, *args: Any) -> Any:
        return _and(lambda n: n in args, error=f"{key} should be in [{args!s}]!")

    def range(self, key: str, keyType: type, start: Any, end: Any) -> Any:
        return _and(
            _and(keyType, error=f"{key} should be {keyType.__name__} type!"),
            _and(lambda n: start <= n <= end, error=f"{key} should be in range of ({start}, {end})!"),
        )

    def path(self, key: str) -> Any:
        return _and(
            _and(str, error=f"{key} should be a string!"),
            _and(lambda p: Path(p).exists(), error=f"{key} path does not exist!"),
        )


def merge_parameter(base_params: Any, override_params: dict[str, Any] | None) -> Any:
    """Overwrite ``base_params`` (an ``argparse.Namespace`` or a dict) with the tuner's parameters, in
    place, as NNI 3.0 does: every key must already exist, and a value must have the type of the default
    it replaces (an int may replace a float default; a ``None`` default takes anything). Nothing is
    converted: ``'false'`` for a bool or ``3.7`` for an int raises ``ValueError``, as in NNI."""
    if override_params is None:
        return base_params
    is_dict = isinstance(base_params, dict)
    for key, given in override_params.items():
        exists = key in base_params if is_dict else hasattr(base_params, key)
        if not exists:
            raise ValueError(f"Key '{key}' not found in base parameters.")
        current = base_params[key] if is_dict else getattr(base_params, key)
        value = _ensure_compatible_type(key, current, given)
        if is_dict:
            base_params[key] = value
        else:
            setattr(base_params, key, value)
    return base_params


def _ensure_compatible_type(key: str, base: Any, override: Any) -> Any:
    if base is None or isinstance(override, type(base)):
        return override
    if isinstance(base, float) and isinstance(override, int):
        return float(override)
    raise ValueError(f'Expected "{key}" in override parameters to have type {type(base).__name__}, '
                     f"but found {type(override).__name__}")


def extract_scalar_reward(value: Any, scalar_key: str = "default") -> float:
    """The number a tuner optimizes: ``value`` itself or ``value[scalar_key]``, returned as given (NNI's
    rule: an int stays an int; anything else, strings included, raises ``RuntimeError``)."""
    if isinstance(value, (float, int)):
        return value
    if isinstance(value, dict) and scalar_key in value and isinstance(value[scalar_key], (float, int)):
        scalar: float = value[scalar_key]
        return scalar
    raise RuntimeError("Incorrect final result: the final result should be float/int, "
                       f'or a dict which has a key named "{scalar_key}" whose value is float/int.')


def extract_scalar_history(trial_history: list[Any], scalar_key: str = "default") -> list[float]:
    """:func:`extract_scalar_reward` of every intermediate result."""
    return [extract_scalar_reward(value, scalar_key) for value in trial_history]
