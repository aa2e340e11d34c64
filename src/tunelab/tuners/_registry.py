"""The builtin tuner names (NNI's, case-insensitive, with its aliases) and construction from a config."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from tunelab.base import ConfigError, did_you_mean
from tunelab.objectives import ObjectiveSpec, parse_objectives
from tunelab.space import SearchSpace, parse_search_space
from tunelab.tuners._anneal import AnnealTuner
from tunelab.tuners._auto import AutoTuner
from tunelab.tuners._base import Tuner
from tunelab.tuners._batch import BatchTuner
from tunelab.tuners._evolution import EvolutionTuner
from tunelab.tuners._gp import GpTuner
from tunelab.tuners._grid_search import GridSearchTuner
from tunelab.tuners._hyperband import BohbTuner, HyperbandTuner
from tunelab.tuners._motpe import MotpeTuner
from tunelab.tuners._nsga2 import Nsga2Tuner
from tunelab.tuners._pbt import PbtTuner
from tunelab.tuners._random import RandomTuner
from tunelab.tuners._tpe import TpeTuner

#: canonical name -> class. Add a line here when a tuner is implemented.
_BUILTIN: dict[str, type[Tuner]] = {
    "Anneal": AnnealTuner,
    "Auto": AutoTuner,
    "BOHB": BohbTuner,
    "Batch": BatchTuner,
    "Evolution": EvolutionTuner,
    "GP": GpTuner,
    "GridSearch": GridSearchTuner,
    "Hyperband": HyperbandTuner,
    "MOTPE": MotpeTuner,
    "NSGA2": Nsga2Tuner,
    "PBT": PbtTuner,
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
    "gptuner": "GP",
    "batchtuner": "Batch",
    "pbttuner": "PBT",
    "hyperbandadvisor": "Hyperband",
    "bohbadvisor": "BOHB",
    "autotuner": "Auto",
    "annealtuner": "Anneal",
    "evolutiontuner": "Evolution",
    "motpetuner": "MOTPE",
    "multiobjectivetpe": "MOTPE",
    "nsgaii": "NSGA2",
    "nsga2tuner": "NSGA2",
}

#: NNI builtin names not implemented here -> (the closest supported tuner, why).
_NOT_YET: dict[str, tuple[str, str]] = {
    "TPE_legacy": ("TPE", "hyperopt 0.1.2's TPE is superseded by the built-in TPE"),
    "SMAC": ("Auto", "SMAC needs the unmaintained smac4nni fork; Auto runs GP or TPE per search space"),
    "MetisTuner": ("GP", "Metis is a GP-based tuner; GP is the maintained one"),
    "DNGOTuner": ("GP", "DNGO needs pybnn; GP is the closest Bayesian-optimization tuner"),
    "PPOTuner": ("Evolution", "PPO is a NAS tuner, out of scope for hyperparameter tuning"),
    "NetworkMorphism": ("Evolution", "network morphism is a NAS tuner, out of scope"),
    "RegularizedEvolutionTuner": (
        "Evolution",
        "regularized evolution is a NAS tuner; Evolution is the HPO one",
    ),
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
        closest, why = _NOT_YET[pending]
        raise ConfigError(
            f'tuner.name: NNI\'s "{pending}" is not available in tunelab ({why}); use "{closest}" (the '
            f"closest supported tuner) or one of {', '.join(BUILTIN_TUNERS)}"
        )
    candidates = [*BUILTIN_TUNERS, *_NOT_YET]
    hint = did_you_mean(name, candidates) or did_you_mean(_normalize(name), [c.lower() for c in candidates])
    raise ConfigError(
        f"tuner.name: unknown tuner {name!r}{hint}; builtin tuners: {', '.join(BUILTIN_TUNERS)}"
    )


def accepted_class_args(cls: type[Tuner]) -> list[str]:
    """Keyword arguments a tuner class accepts as classArgs (from its constructor signature)."""
    params = inspect.signature(cls.__init__).parameters.values()
    # ``objectives`` comes from the experiment's top-level key, never from classArgs.
    return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "objectives"]


def create_tuner_from_config(
    name: str,
    space: SearchSpace | Mapping[str, Any],
    class_args: Mapping[str, Any] | None = None,
    *,
    objectives: ObjectiveSpec | Sequence[Any] | None = None,
) -> Tuner:
    """Build the builtin tuner ``name`` over ``space`` with NNI-style ``class_args``.

    ``objectives`` (the experiment's ``objectives`` key) reach the tuners that take them; a single
    objective sets ``optimize_mode`` of the others. Raises ``ConfigError`` for an unknown or
    not-yet-implemented name, an unknown class arg (naming the accepted ones), an invalid class arg value,
    or objectives the tuner cannot honour; ``SearchSpaceError`` for an invalid space dict.
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
    spec = parse_objectives(objectives)
    if spec is not None:
        args.update(objective_args(cls, canonical, spec, args))
    return cls(parse_search_space(space), **args)


#: The tuners that honour several objectives or constraints, for error messages.
MULTI_OBJECTIVE_TUNERS = ("Auto", "MOTPE", "NSGA2", "Random", "GridSearch", "Batch")


def objective_args(cls: type[Tuner], name: str, spec: ObjectiveSpec, class_args: Mapping[str, Any]) -> dict[str, Any]:
    """The constructor arguments that hand ``spec`` to tuner ``cls`` (``ConfigError`` when it cannot)."""
    if cls.objective_agnostic:
        return {}
    if not spec.needs_multi_objective_tuner:
        mode = spec.primary.mode
        given = class_args.get("optimize_mode")
        if isinstance(given, str) and given.lower() != mode:
            raise ConfigError(
                f"tuner.classArgs.optimize_mode: {given!r} contradicts objectives[0].mode {mode!r} for "
                f"{spec.primary.name!r}; delete optimize_mode (objectives say it) or make them agree"
            )
        if cls.multi_objective:
            return {"objectives": spec}
        return {"optimize_mode": mode} if "optimize_mode" in accepted_class_args(cls) else {}
    if cls.multi_objective:
        return {"objectives": spec}
    what = f"{len(spec.names)} objectives" if spec.multi else "a constraint"
    raise ConfigError(
        f"tuner.name: {name} optimises one objective, but the experiment declares {what} "
        f"({', '.join(o.name for o in spec.objectives)}); use one of {', '.join(MULTI_OBJECTIVE_TUNERS)} "
        "(or leave tuner out: Auto runs MOTPE)"
    )
