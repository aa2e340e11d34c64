"""``tuner`` / ``assessor`` / ``advisor``: a builtin algorithm by name or a custom class by import path."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from typing import Any

from tunelab.base import ConfigError
from tunelab.config._base import ConfigBase
from tunelab.config._fields import Invalid, existing_dir, mapping, nonempty_text, resolve_path, spec


def _class_path(value: Any) -> str:
    name = nonempty_text(value)
    module, _, attr = name.rpartition(".")
    if not module or not attr:
        raise Invalid('must be "module.ClassName"')
    return name


@dataclasses.dataclass(eq=False)
class AlgorithmConfig(ConfigBase):
    """One algorithm: set ``name`` (builtin, case-insensitive, NNI aliases accepted) or ``class_name``.

    ``AlgorithmConfig()`` with nothing set is the placeholder that ``ExperimentConfig('local')`` creates so
    that ``config.tuner.name = 'TPE'`` works; it fails validation until a name or class is set.
    """

    name: str | None = field(
        default=None,
        metadata=spec(
            check=nonempty_text,
            fix='use a builtin name such as "TPE", "Random", "Anneal" or "Evolution", '
            "or set className for a custom algorithm",
        ),
    )
    class_args: dict[str, Any] = field(
        default_factory=dict,
        metadata=spec(check=mapping, fix="write classArgs as a mapping, e.g. {optimize_mode: maximize}"),
    )
    class_name: str | None = field(
        default=None,
        metadata=spec(
            check=_class_path, fix="write the import path of the class, e.g. className: my_tuner.MyTuner"
        ),
    )
    code_directory: str | os.PathLike[str] | None = field(
        default=None,
        metadata=spec(
            check=existing_dir,
            path=True,
            fix="codeDirectory is the folder holding the module of className; relative paths are "
            "resolved against the config file's directory",
        ),
    )

    def __eq__(self, other: object) -> bool:
        # CustomAlgorithmConfig is only a constructor convenience: equal fields mean equal configs.
        if not isinstance(other, AlgorithmConfig):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def _cross_problems(self, where: str) -> list[str]:
        label = where.rstrip(".") or "algorithm"
        if self.name is not None and self.class_name is not None:
            return [
                f"{label}: name and className are exclusive, got name={self.name!r} and "
                f"className={self.class_name!r}; keep name for a builtin or className for a custom class"
            ]
        if self.name is None and self.class_name is None:
            return [
                f"{label}.name: required, but neither name nor className is set; "
                "set e.g. name: TPE (with classArgs: {optimize_mode: maximize}) or className: my_tuner.MyTuner"
            ]
        return []


class CustomAlgorithmConfig(AlgorithmConfig):
    """A custom tuner or assessor class: ``CustomAlgorithmConfig('my_tuner.MyTuner', '.', {...})``."""

    def __init__(
        self,
        class_name: str | None = None,
        code_directory: str | os.PathLike[str] | None = ".",
        class_args: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            name=None, class_args=dict(class_args or {}), class_name=class_name, code_directory=code_directory
        )


def load_algorithm(value: Any, *, where: str, base_dir: Path | None) -> AlgorithmConfig:
    """Build an :class:`AlgorithmConfig` from a YAML mapping (or pass an instance through)."""
    if isinstance(value, AlgorithmConfig):
        return value
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: must be a mapping, got {value!r:.80}; write e.g. {where}: {{name: TPE}}")
    fields = AlgorithmConfig._load_fields(value, where=where + ".", base_dir=base_dir)
    if fields.get("class_name") is not None and fields.get("name") is None:
        # A custom class with no codeDirectory lives next to the config file, as in NNI's examples.
        directory = fields.get("code_directory") or resolve_path(".", base_dir)
        return CustomAlgorithmConfig(fields["class_name"], directory, fields.get("class_args"))
    return AlgorithmConfig(**fields)
