"""Behaviour shared by the config dataclasses: loading from mappings, checking, dumping.

Each config class is a dataclass whose fields carry a :class:`~tunelab.config._fields.Spec`; this module
walks that table, so adding a key means adding one field and nothing else.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelab.base import ConfigError, did_you_mean
from tunelab.config._fields import Invalid, Spec, camel, norm_key, resolve_path, show, spec_of


class ConfigBase:
    """Mixin for the ``@dataclass`` config classes.

    Setting an attribute that is not a field raises :class:`ConfigError` with a "did you mean" hint, so a
    typo such as ``config.trial_concurency = 2`` fails loudly instead of being ignored.
    """

    if not TYPE_CHECKING:  # hidden from mypy so that it still flags unknown attributes statically

        def __setattr__(self, name: str, value: Any) -> None:
            names = _field_names(type(self))
            if not name.startswith("_") and name not in names:
                raise ConfigError(
                    f"{type(self).__name__}.{name}: unknown field{did_you_mean(name, names)}; "
                    f"the fields are {', '.join(sorted(names))}"
                )
            object.__setattr__(self, name, value)

    @classmethod
    def _load_fields(cls, data: Mapping[str, Any], *, where: str, base_dir: Path | None) -> dict[str, Any]:
        """Map YAML keys (any case, any underscores) to field names; load nested objects and paths.

        Values are not checked here (that is :meth:`problems`), but unknown or repeated keys raise
        :class:`ConfigError` at once: there is nowhere to keep them.
        """
        table = _key_table(cls)
        loaded: dict[str, Any] = {}
        for key, value in data.items():
            field = table.get(norm_key(key)) if isinstance(key, str) else None
            if field is None:
                known = [camel(f.name) for f in table.values()]
                raise ConfigError(
                    f"{where}{key}: unknown key{did_you_mean(str(key), known)}; "
                    f"the keys allowed here are {', '.join(known)}"
                )
            if field.name in loaded:
                raise ConfigError(
                    f"{where}{key}: given twice (keys match case- and underscore-insensitively); keep one"
                )
            if value is None:  # NNI: null means unset
                continue
            loaded[field.name] = _load_value(_spec(field), value, where + camel(field.name), base_dir)
        return loaded

    def problems(self, where: str = "") -> list[str]:
        """Check every field against its spec, normalize values in place, and return the messages."""
        found: list[str] = []
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            rule = spec_of(field)
            if rule is None:
                continue
            name = where + camel(field.name)
            value = getattr(self, field.name)
            if value is None:
                if rule.required:
                    found.append(f"{name}: required, but not set; {rule.fix}")
                continue
            try:
                normalized = rule.check(value)
            except Invalid as exc:
                shown = show(exc.value if exc.value is not None else value)
                found.append(f"{name}: {exc.rule}, got {shown}; {rule.fix}")
                continue
            object.__setattr__(self, field.name, normalized)
            if isinstance(normalized, ConfigBase):
                found.extend(normalized.problems(name + "."))
        found.extend(self._cross_problems(where))
        return found

    def _cross_problems(self, where: str) -> list[str]:
        """Rules that involve several fields; subclasses override. Runs after the per-field checks."""
        return []

    def to_dict(self) -> dict[str, Any]:
        """The canonical camelCase dict: unset keys left out, paths absolute, nested objects as dicts."""
        out: dict[str, Any] = {}
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            rule = spec_of(field)
            value = getattr(self, field.name)
            if rule is None or not rule.dump or value is None:
                continue
            if isinstance(value, ConfigBase):
                out[camel(field.name)] = value.to_dict()
            elif rule.path and isinstance(value, (str, os.PathLike)):
                out[camel(field.name)] = resolve_path(value, None)
            else:
                out[camel(field.name)] = copy.deepcopy(value)
        return out


def _load_value(rule: Spec, value: Any, where: str, base_dir: Path | None) -> Any:
    if rule.nested is not None:
        return rule.nested(value, where=where, base_dir=base_dir)
    if rule.path and isinstance(value, (str, os.PathLike)) and os.fspath(value):
        return resolve_path(value, base_dir)
    return value


def _spec(field: dataclasses.Field[Any]) -> Spec:
    rule = spec_of(field)
    if rule is None:  # _key_table only lists spec'd fields
        raise TypeError(f"field {field.name} has no spec")
    return rule


def _field_names(cls: type) -> frozenset[str]:
    cached: frozenset[str] | None = cls.__dict__.get("_names_cache")
    if cached is None:
        cached = frozenset(f.name for f in dataclasses.fields(cls))
        type.__setattr__(cls, "_names_cache", cached)
    return cached


def _key_table(cls: type) -> dict[str, dataclasses.Field[Any]]:
    table: dict[str, dataclasses.Field[Any]] | None = cls.__dict__.get("_key_table_cache")
    if table is None:
        table = {norm_key(f.name): f for f in dataclasses.fields(cls) if spec_of(f) is not None}
        type.__setattr__(cls, "_key_table_cache", table)
    return table


def join_problems(problems: list[str]) -> str:
    """One problem is the message; several become a bulleted list (all at once saves round trips)."""
    if len(problems) == 1:
        return problems[0]
    return f"the experiment config has {len(problems)} problems:\n" + "\n".join(f"  - {p}" for p in problems)
