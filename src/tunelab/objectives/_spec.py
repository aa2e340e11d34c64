"""What an experiment optimises when it names more than one number: objectives, their modes, constraints.

A trial reports a dict (``{"accuracy": 0.97, "latency_ms": 14.2}``); the experiment's ``objectives`` say
which keys count and which way. The first optimised objective is the *primary* one: it is the scalar the
trial table sorts on, the value intermediate dicts are read by, and the one assessors judge curves on
(latency or size is usually measured once at the end, so a curve exists only for the quality metric).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tunelab.base import ConfigError, did_you_mean, objective_metric_problem

Mode = Literal["maximize", "minimize"]
Operator = Literal["<=", ">="]
_FIELD = "objectives"
_EXAMPLE = "objectives: [{name: accuracy, mode: maximize}, {name: latency_ms, mode: minimize, constraint: '<= 20'}]"
_KEYS = ("name", "mode", "constraint")
_CONSTRAINT = re.compile(r"^\s*(?:(?P<name>[^<>=\s][^<>=]*?)\s*)?(?P<op><=|>=|<|>|=<|=>)\s*(?P<bound>\S+)\s*$")
_SHORT = re.compile(r"^\s*(?P<name>[^:<>=]+?)\s*:\s*(?P<mode>[A-Za-z]+)\s*(?P<rest>(?:<|>|=).*)?$")


@dataclass(frozen=True, slots=True)
class Constraint:
    """``value <= bound`` or ``value >= bound`` (strict and non-strict read alike: metrics are real numbers)."""

    op: Operator
    bound: float

    def violation(self, value: float) -> float:
        """How far ``value`` lies outside the bound (0 when it satisfies it; NaN counts as infinitely far)."""
        if math.isnan(value):
            return math.inf
        excess = value - self.bound if self.op == "<=" else self.bound - value
        return max(excess, 0.0)

    def __str__(self) -> str:
        return f"{self.op} {self.bound:g}"


@dataclass(frozen=True, slots=True)
class Objective:
    """One metric key of the final result: optimised (``mode`` set), bounded (``constraint`` set), or both."""

    name: str
    mode: Mode | None = "maximize"
    constraint: Constraint | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.mode is not None:
            out["mode"] = self.mode
        if self.constraint is not None:
            out["constraint"] = str(self.constraint)
        return out


@dataclass(frozen=True, slots=True)
class ObjectiveSpec:
    """The objectives of one experiment, in the order the user listed them."""

    objectives: tuple[Objective, ...]

    @property
    def optimized(self) -> tuple[Objective, ...]:
        return tuple(o for o in self.objectives if o.mode is not None)

    @property
    def names(self) -> tuple[str, ...]:
        """The optimised keys, in order (the axes of the Pareto front)."""
        return tuple(o.name for o in self.optimized)

    @property
    def modes(self) -> tuple[Mode, ...]:
        return tuple(o.mode for o in self.optimized if o.mode is not None)

    @property
    def required(self) -> tuple[str, ...]:
        """Every key a final result must hold, the primary first (optimised, then constraint-only)."""
        return (*self.names, *(o.name for o in self.objectives if o.mode is None))

    @property
    def primary(self) -> Objective:
        return self.optimized[0]

    @property
    def constrained(self) -> bool:
        return any(o.constraint is not None for o in self.objectives)

    @property
    def multi(self) -> bool:
        """Two or more optimised objectives: the result is a Pareto set, not one best trial."""
        return len(self.optimized) > 1

    @property
    def needs_multi_objective_tuner(self) -> bool:
        """True when a single-objective tuner cannot honour the spec (several objectives or a constraint)."""
        return self.multi or self.constrained

    def problem(self, metric: Any) -> str | None:
        """Why ``metric`` cannot be a final result under these objectives (None when it can)."""
        return objective_metric_problem(metric, self.required)

    def values(self, metric: Mapping[str, Any]) -> tuple[float, ...]:
        """The optimised objectives' values as reported, in order (NaN for a missing or non-numeric one)."""
        return tuple(_number(metric.get(name)) for name in self.names)

    def losses(self, metric: Mapping[str, Any]) -> tuple[float, ...]:
        """The optimised objectives as losses to minimise (maximised ones negated)."""
        return tuple(v if mode == "minimize" else -v for v, mode in zip(self.values(metric), self.modes, strict=True))

    def violation(self, metric: Mapping[str, Any]) -> float:
        """The summed distance of the result outside its constraints (0 when feasible)."""
        total = 0.0
        for objective in self.objectives:
            if objective.constraint is not None:
                total += objective.constraint.violation(_number(metric.get(objective.name)))
        return total

    def feasible(self, metric: Mapping[str, Any]) -> bool:
        return self.violation(metric) == 0.0

    def to_list(self) -> list[dict[str, Any]]:
        """The config form (``objectives:`` in YAML), which :func:`parse_objectives` reads back unchanged."""
        return [o.to_dict() for o in self.objectives]


def _number(value: Any) -> float:
    if isinstance(value, bool) or value is None or isinstance(value, (str, bytes)):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def parse_objectives(value: Any, *, field: str = _FIELD) -> ObjectiveSpec | None:
    """Read the ``objectives`` config value; None stays None (a single-objective experiment).

    Entries are mappings ``{name, mode, constraint}`` or short strings ``"accuracy:maximize"``,
    ``"latency_ms:minimize <= 20"`` and ``"latency_ms <= 20"`` (a constraint-only key). Raises
    ``ConfigError`` naming the entry, the value and the fix.
    """
    if value is None:
        return None
    if isinstance(value, ObjectiveSpec):
        return value
    if isinstance(value, (str, Mapping)) or not isinstance(value, Sequence) or not value:
        raise ConfigError(f"{field}: must be a non-empty list of objectives, got {value!r:.120}; write e.g. {_EXAMPLE}")
    objectives: list[Objective] = []
    seen: dict[str, Objective] = {}
    for index, entry in enumerate(value):
        where = f"{field}[{index}]"
        objective = _entry(entry, where)
        earlier = seen.get(objective.name)
        if earlier is not None:
            if earlier.mode and objective.mode and earlier.mode != objective.mode:
                raise ConfigError(
                    f"{where}: {objective.name!r} is both {earlier.mode}d and {objective.mode}d; "
                    "contradictory modes: keep one entry per metric key"
                )
            raise ConfigError(f"{where}: {objective.name!r} is listed twice; keep one entry per metric key")
        seen[objective.name] = objective
        objectives.append(objective)
    if not any(o.mode is not None for o in objectives):
        raise ConfigError(
            f"{field}: every entry is a constraint only, got {value!r:.120}; give at least one a mode, "
            "e.g. {name: accuracy, mode: maximize}"
        )
    return ObjectiveSpec(tuple(objectives))


def _entry(entry: Any, where: str) -> Objective:
    if isinstance(entry, Objective):
        return entry
    if isinstance(entry, str):
        return _short(entry, where)
    if not isinstance(entry, Mapping):
        raise ConfigError(
            f"{where}: must be a mapping or a string, got {entry!r:.80}; write e.g. {{name: accuracy, mode: maximize}}"
        )
    for key in entry:
        if key not in _KEYS:
            raise ConfigError(
                f"{where}.{key}: unknown key{did_you_mean(str(key), list(_KEYS))}; accepted: {', '.join(_KEYS)}"
            )
    name = _name(entry.get("name"), f"{where}.name")
    raw_mode = entry.get("mode")
    constraint = None if entry.get("constraint") is None else _constraint(entry["constraint"], f"{where}.constraint", name)
    if raw_mode is None and constraint is None:
        raise ConfigError(
            f"{where}.mode: missing for {name!r}; write mode: maximize or mode: minimize "
            "(or give only a constraint, e.g. constraint: '<= 20', to bound a metric without optimising it)"
        )
    mode = None if raw_mode is None else _mode(raw_mode, f"{where}.mode")
    return Objective(name, mode, constraint)


def _short(text: str, where: str) -> Objective:
    short = _SHORT.match(text)
    if short:
        name = _name(short["name"], where)
        mode = _mode(short["mode"], where)
        rest = short["rest"]
        return Objective(name, mode, _constraint(rest, where, name) if rest else None)
    match = _CONSTRAINT.match(text)
    if match and match["name"]:
        name = _name(match["name"], where)
        return Objective(name, None, _constraint(text, where, name))
    raise ConfigError(
        f"{where}: cannot read {text!r}; write 'accuracy:maximize', 'latency_ms:minimize <= 20' or "
        "'latency_ms <= 20' (a constraint only)"
    )


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: must be the metric key the trial reports, got {value!r:.80}; e.g. name: accuracy")
    return value.strip()


def _mode(value: Any, where: str) -> Mode:
    text = value.lower() if isinstance(value, str) else None
    aliases: dict[str, Mode] = {"maximize": "maximize", "max": "maximize", "minimize": "minimize", "min": "minimize"}
    if text not in aliases:
        raise ConfigError(f'{where}: must be "maximize" or "minimize", got {value!r:.80}')
    return aliases[text]


def _constraint(value: Any, where: str, name: str) -> Constraint:
    fix = f"write e.g. constraint: '<= 20' (or '>= 0.9'), a bound on {name!r}"
    if isinstance(value, Constraint):
        return value
    if not isinstance(value, str):
        raise ConfigError(f"{where}: must be a comparison such as '<= 20', got {value!r:.80}; {fix}")
    match = _CONSTRAINT.match(value)
    if not match:
        raise ConfigError(f"{where}: cannot read {value!r:.80}; {fix}")
    if match["name"] and match["name"].strip() != name:
        raise ConfigError(f"{where}: {value!r} bounds {match['name'].strip()!r}, not {name!r}; {fix}")
    try:
        bound = float(match["bound"])
    except ValueError:
        bound = math.nan
    if not math.isfinite(bound):
        raise ConfigError(f"{where}: the bound must be a finite number, got {match['bound']!r}; {fix}")
    op: Operator = "<=" if "<" in match["op"] else ">="
    return Constraint(op, bound)


def objective_spec_of(config: Mapping[str, Any]) -> ObjectiveSpec | None:
    """A stored config's objectives, None for a single-objective experiment. The stored config was
    validated when the experiment was created, so a list that no longer parses constrains nothing."""
    raw = config.get("objectives") if isinstance(config, Mapping) else None
    if not raw:
        return None
    try:
        return parse_objectives(raw)
    except ConfigError:
        return None
