"""``mlflow``: log every trial as an MLflow run, nested under one parent run for the experiment.

Only the keys are checked here (and that the ``mlflow`` package can be imported); the logging itself is
``tunelab.manager._mlflow``, which imports MLflow lazily, only when this key is set.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from typing import Any

from tunelab.base import ConfigError
from tunelab.config._base import ConfigBase
from tunelab.config._fields import bounded_text, nonempty_text, spec

#: The MLflow experiment the runs go to when ``experimentName`` is not set (the config's own
#: ``experimentName`` is used first).
DEFAULT_MLFLOW_EXPERIMENT = "tunelab"
INSTALL_HINT = "pip install 'tunelab[mlflow]' (or pip install mlflow)"


def _name(value: Any) -> str:
    return str(bounded_text(256)(nonempty_text(value)))


def mlflow_installed() -> bool:
    """Whether ``import mlflow`` can work here, found without importing it (that takes seconds)."""
    try:
        return importlib.util.find_spec("mlflow") is not None
    except (ImportError, ValueError):  # a broken install, or an import hook refusing it
        return False


@dataclasses.dataclass
class MlflowConfig(ConfigBase):
    """MLflow tracking: each trial becomes a run (params, metric steps, status, tags) under a parent run."""

    tracking_uri: str | None = field(
        default=None,
        metadata=spec(
            check=nonempty_text,
            fix='write an MLflow tracking URI, e.g. trackingUri: "http://127.0.0.1:5000" or '
            '"sqlite:////abs/path/mlflow.db"; leave it out for a SQLite store in the experiment folder '
            "(<experiment dir>/mlflow/mlflow.db)",
        ),
    )
    experiment_name: str | None = field(
        default=None,
        metadata=spec(
            check=_name,
            fix="write the MLflow experiment to log to, e.g. experimentName: mnist; leave it out to use the "
            f"config's experimentName, else {DEFAULT_MLFLOW_EXPERIMENT!r}",
        ),
    )

    def _cross_problems(self, where: str) -> list[str]:
        if mlflow_installed():
            return []
        label = where.rstrip(".") or "mlflow"
        return [
            f"{label}: needs the mlflow package, which {sys.executable} cannot import; {INSTALL_HINT}, "
            f"or remove the {label} key"
        ]


def load_mlflow(value: Any, *, where: str, base_dir: Path | None) -> MlflowConfig:
    """Build an :class:`MlflowConfig` from a YAML mapping (``{}`` for all defaults) or pass one through."""
    if isinstance(value, MlflowConfig):
        return value
    if value is True:  # `mlflow: true`: every default
        return MlflowConfig()
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{where}: must be a mapping, got {value!r:.80}; write e.g. {where}: "
            '{trackingUri: "http://127.0.0.1:5000", experimentName: mnist}, or ' + f"{where}: {{}} for the defaults"
        )
    return MlflowConfig(**MlflowConfig._load_fields(value, where=where + ".", base_dir=base_dir))
