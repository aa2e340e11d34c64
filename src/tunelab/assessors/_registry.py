"""Built-in assessors by NNI name (case-insensitive, NNI's class names accepted as aliases)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from tunelab.assessors._base import Assessor
from tunelab.base import ConfigError, did_you_mean

#: lower-case name -> factory; filled by the modules that define assessors.
_REGISTRY: dict[str, Callable[..., Assessor]] = {}
_CANONICAL: dict[str, str] = {}


def register_assessor(name: str, factory: Callable[..., Assessor], *aliases: str) -> None:
    for key in (name, *aliases):
        _REGISTRY[key.lower()] = factory
        _CANONICAL[key.lower()] = name


def builtin_assessors() -> list[str]:
    return sorted(set(_CANONICAL.values()))


def create_assessor_from_config(name: str, class_args: Mapping[str, Any] | None = None) -> Assessor:
    """Instantiate a built-in assessor; ConfigError naming the closest one for an unknown name or arg."""
    factory = _REGISTRY.get(str(name).lower())
    if factory is None:
        known = builtin_assessors()
        raise ConfigError(
            f"assessor.name: unknown assessor {name!r}{did_you_mean(str(name), known)}; "
            f"built-in assessors: {', '.join(known) or '(none)'}"
        )
    args = dict(class_args or {})
    accepted = set(inspect.signature(factory).parameters) - {"self"}
    unknown = sorted(set(args) - accepted)
    if unknown:
        raise ConfigError(
            f"assessor.classArgs.{unknown[0]}: {_CANONICAL[str(name).lower()]} has no such argument"
            f"{did_you_mean(unknown[0], accepted)}; accepted: {', '.join(sorted(accepted))}"
        )
    return factory(**args)
