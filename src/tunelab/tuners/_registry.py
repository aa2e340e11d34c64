"""The builtin tuner names (NNI's, case-insensitive, with its aliases) and construction from a config."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from tunelab.base import ConfigError, did_you_mean
from tunelab.space import SearchSpace, parse_search_space
from tunelab.tuners._base import Tuner
from tunelab.tuners._grid_search import GridSearchTuner
from tunelab.tuners._random import RandomTuner
from tunelab.tuners._tpe import TpeTuner

#: canonical name -> class. Add a line here when a tuner is implemented.
_BUILTIN: dict[str, type[Tuner]] = {
    "GridSearch": GridSearchTuner,
    "Random": RandomTuner,
    "TPE": TpeTuner,
}

#: normalized alias -> canonical name (NNI accepts these spellings too).
_ALIASES: dict[str, str] = {
    "gridsearchtuner": "GridSearch",
    "grid": "GridSearch",
    "randomtuner": "Random",
    "randomsearch": "Random",
    "tpetuner": "TPE",
}

#: NNI builtin names not implemented here yet -> the closest supported tuner to suggest instead.
_NOT_YET: dict[str, str] = {
    "TPE_legacy": "TPE",
    "Anneal": "TPE",
    "Evolution": "TPE",
    "SMAC": "TPE",
    "BatchTuner": "GridSearch",
    "Hyperband": "Random",
    "BOHB": "TPE",
    "MetisTuner": "TPE",
    "GPTuner": "TPE",
    "PBTTuner": "Random",
    "DNGOTuner": "TPE",
    "PPOTuner": "TPE",
    "NetworkMorphism": "TPE",
    "RegularizedEvolutionTuner": "TPE",
}

#: Names of the builtin tuners, as written in configs.
BUILTIN_TUNERS: list[str] = sorted(_BUILTIN)


def _normalize(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "").replace(" ", "")


def _lookup(table: Mapping[str, Any], name: str) -> str | None:
    norm = _normalize(name)
    for candidate in table:
        # NNI's short aliases drop the "Tuner" suffix (Batch = BatchTuner, GP = GPTuner, ...).
        if norm in (_normalize(candidate), _normalize(candidate).removesuffix("tuner")):
            return candidate
    return None


def resolve_tuner_name(name: str) -> str:
    """The canonical builtin name for ``name`` (any case, NNI aliases). Raises ``ConfigError``."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(
            f"tuner.name: must be a builtin tuner name, got {name!r}; use one of {', '.join(BUILTIN_TUNERS)}"
        )
    found = _lookup(_BUILTIN, name) or _ALIASES.get(_normalize(name))
    if found:
        return found
    pending = _lookup(_NOT_YET, name)
    if pending:
        closest = _NOT_YET[pending]
        raise ConfigError(
            f'tuner.name: NNI\'s "{pending}" is not available in tunelab yet; use "{closest}" (the closest '
            f"supported tuner) or one of {', '.join(BUILTIN_TUNERS)}"
        )
    candidates = [*BUILTIN_TUNERS, *_NOT_YET]
    hint = did_you_mean(name, candidates) or did_you_mean(_normalize(name), [c.lower() for c in candidates])
    raise ConfigError(
        f"tuner.name: unknown tuner {name!r}{hint}; builtin tuners: {', '.join(BUILTIN_TUNERS)}"
    )


def accepted_class_args(cls: type[Tuner]) -> list[str]:
    """Keyword arguments a tuner class accepts as classArgs (from its constructor signature)."""
    params = inspect.signature(cls.__init__).parameters.values()
    return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]


def create_tuner_from_config(
    name: str, space: SearchSpace | Mapping[str, Any], class_args: Mapping[str, Any] | None = None
) -> Tuner:
    """Build the builtin tuner ``name`` over ``space`` with NNI-style ``class_args``.

    Raises ``ConfigError`` for an unknown or not-yet-implemented name, an unknown class arg (naming the
    accepted ones) or an invalid class arg value; ``SearchSpaceError`` for an invalid space dict.
    """
    canonical = resolve_tuner_name(name)
    cls = _BUILTIN[canonical]
    args = dict(class_args or {})
    accepted = accepted_class_args(cls)
    for key in args:
        if key not in accepted:
            raise ConfigError(
                f"tuner.classArgs.{key}: {canonical} does not accept {key!r}"
                f"{did_you_mean(str(key), accepted)}; accepted: {', '.join(accepted)}"
            )
    return cls(parse_search_space(space), **args)
