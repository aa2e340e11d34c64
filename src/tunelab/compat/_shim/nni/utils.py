"""The helpers of ``nni.utils`` that NNI's own trial examples import."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def merge_parameter(base_params: Any, override_params: dict[str, Any] | None) -> Any:
    """Overwrite ``base_params`` (an ``argparse.Namespace`` or a dict) with the tuner's parameters.

    As in NNI, every overriding key must already exist in ``base_params`` and a value is converted to the
    type of the default it replaces (``None`` defaults take the value as is). Raises ``ValueError`` naming
    the unknown key otherwise.
    """
    if override_params is None:
        return base_params
    is_dict = isinstance(base_params, dict)
    for key, given in override_params.items():
        exists = key in base_params if is_dict else hasattr(base_params, key)
        if not exists:
            raise ValueError(f"merge_parameter: key {key!r} is not in the base parameters; add a default for it")
        current = base_params[key] if is_dict else getattr(base_params, key)
        value = given
        if current is not None and given is not None and not isinstance(given, type(current)):
            value = type(current)(given)
        if is_dict:
            base_params[key] = value
        else:
            setattr(base_params, key, value)
    return base_params


def extract_scalar_reward(value: Any, scalar_key: str = "default") -> float:
    """The number a tuner optimizes: ``value`` itself or ``value[scalar_key]`` (NNI's rule)."""
    if isinstance(value, dict):
        if scalar_key not in value:
            raise RuntimeError(f"metric dict has no {scalar_key!r} key: {sorted(value)!r}")
        value = value[scalar_key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise RuntimeError(f"metric must be a number or a dict with a numeric {scalar_key!r}, got {value!r}") from exc
    return float(value)
