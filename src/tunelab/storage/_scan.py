"""Listing the experiments under a root directory (``tunelab list``) without a running manager."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunelab.base import TunelabError
from tunelab.storage._open import open_store
from tunelab.storage._pointer import recorded_storage
from tunelab.storage._protocol import ExperimentRecord, ExperimentStore
from tunelab.storage._sqlite import DB_FILENAME
from tunelab.trial import Trial, TrialState


@dataclass(frozen=True, slots=True)
class ExperimentListing:
    """One experiment directory found by :func:`scan_experiments`.

    ``error`` is set (and ``record`` is ``None``) when the database could not be read; the listing still
    names the directory so the user sees what was skipped and why.
    """

    directory: Path
    experiment_id: str
    record: ExperimentRecord | None = None
    trial_counts: Mapping[TrialState, int] = field(default_factory=dict)
    best_final: float | None = None
    error: str | None = None

    @property
    def trial_total(self) -> int:
        return sum(self.trial_counts.values())


def scan_experiments(root: Path) -> list[ExperimentListing]:
    """Read every ``<root>/<id>/tunelab.db`` read-only, sorted by creation time (unreadable ones last).

    Never raises for a bad experiment: it is listed with ``error`` set. A missing ``root`` gives ``[]``.
    Safe while managers write (read-only WAL readers never block them).
    """
    root = Path(root)
    if not root.is_dir():
        return []
    listings = [
        _read_one(directory)
        for directory in sorted(root.iterdir())
        if directory.is_dir() and ((directory / DB_FILENAME).is_file() or recorded_storage(directory))
    ]
    return sorted(
        listings, key=lambda item: (item.record is None, item.record.created_at if item.record else 0.0)
    )


def best_of(store: ExperimentStore, config: Mapping[str, Any], mode: str | None = None) -> Trial | None:
    """The best trial shown to users (``best``, ``show``, ``list``, the overview): the best finite final
    value from the store's index (``mode`` defaults to the config's), or, when the objectives carry
    constraints, the best primary objective among the trials meeting them (None while none does; that reads
    every trial, as the Pareto front does): an infeasible trial is never shown as the best."""
    from tunelab.objectives import best_feasible, objective_spec_of

    spec = objective_spec_of(config)
    if spec is not None and spec.constrained:
        return best_feasible(store.list_trials(), spec)
    return store.best_trial(maximize=(mode or optimize_mode(config)) == "maximize")


def _read_one(directory: Path) -> ExperimentListing:
    experiment_id = directory.name
    url = recorded_storage(directory)
    try:
        store = open_store(url or directory / DB_FILENAME, experiment_id, readonly=True)
        with contextlib.closing(store):
            record = store.get_experiment()
            best = best_of(store, record.config)
            return ExperimentListing(
                directory=directory,
                experiment_id=experiment_id,
                record=record,
                trial_counts=store.count_trials(),
                best_final=None if best is None else best.final,
            )
    except TunelabError as exc:
        return ExperimentListing(directory=directory, experiment_id=experiment_id, error=exc.message)


def optimize_mode(config: Mapping[str, Any]) -> str:
    """``'maximize'`` or ``'minimize'`` from a config dict's tuner ``classArgs.optimize_mode``.

    Accepts the NNI spellings (``classArgs``/``class_args``, ``optimize_mode``/``optimizeMode``); without
    one, NNI's default of the named tuner (TPE and Anneal minimize, the rest maximize). An experiment with
    ``objectives`` ranks by its primary objective (the first with a mode).
    """
    objectives = config.get("objectives") if isinstance(config, Mapping) else None
    if isinstance(objectives, list):
        for entry in objectives:
            mode = entry.get("mode") if isinstance(entry, Mapping) else None
            if isinstance(mode, str) and mode.lower() in ("maximize", "minimize"):
                return mode.lower()
    tuner = config.get("tuner") if isinstance(config, Mapping) else None
    if isinstance(tuner, Mapping):
        for args_key in ("classArgs", "class_args", "classargs"):
            args = tuner.get(args_key)
            if isinstance(args, Mapping):
                for mode_key in ("optimize_mode", "optimizeMode"):
                    mode = args.get(mode_key)
                    if isinstance(mode, str) and mode.lower() in ("maximize", "minimize"):
                        return mode.lower()
        name = str(tuner.get("name") or tuner.get("builtinTunerName") or "").lower()
        if name in MINIMIZING_BY_DEFAULT:
            return "minimize"
    return "maximize"


#: NNI's tuners whose ``optimize_mode`` defaults to minimize (the others maximize).
MINIMIZING_BY_DEFAULT = frozenset({"tpe", "anneal", "tpe_legacy"})
