"""NNI's ``TPE`` tuner: Tree-structured Parzen Estimator, one estimator per flat dimension.

Each dimension is modelled from the trials in which it was active (so nested choices work): the best
``min(ceil(gamma * sqrt(n)), linear_forgetting)`` observations form the "good" density l(x), the rest the
"bad" density g(x); ``n_ei_candidates`` draws from l are scored by log l - log g and the best is kept.
While a dimension has fewer than ``n_startup_jobs`` observations it is drawn from the prior. Trials still
running count as observations with a made-up loss (the constant liar), so parallel asks spread out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from tunelab.base import ConfigError, did_you_mean
from tunelab.space import SearchSpace
from tunelab.tuners._base import History, Observation, Tuner
from tunelab.tuners._dedup import Deduplicator
from tunelab.tuners._parzen import CategoricalParzen, NumericParzen, Parzen, recency_weights, split_good_bad

_LIARS = ("best", "worst", "mean")


@dataclass(frozen=True, slots=True)
class TpeArgs:
    """NNI's ``tpe_args`` with its defaults (see ``nni.algorithms.hpo.tpe_tuner.TpeArguments``)."""

    constant_liar_type: str | None = "best"
    n_startup_jobs: int = 20
    n_ei_candidates: int = 24
    linear_forgetting: int = 25
    prior_weight: float = 1.0
    gamma: float = 0.25

    @classmethod
    def from_mapping(cls, args: Mapping[str, Any] | None) -> TpeArgs:
        """Validate ``tuner.classArgs.tpe_args``; raises ``ConfigError`` naming the bad key and value."""
        args = dict(args or {})
        known = list(cls.__dataclass_fields__)
        for key in args:
            if key not in known:
                raise ConfigError(
                    f"tuner.classArgs.tpe_args.{key}: unknown argument{did_you_mean(str(key), known)}; "
                    f"accepted: {', '.join(known)}"
                )
        liar = args.get("constant_liar_type", "best")
        if isinstance(liar, str) and liar.lower() in ("none", "null", ""):
            liar = None
        if liar is not None and (not isinstance(liar, str) or liar.lower() not in _LIARS):
            raise ConfigError(
                f"tuner.classArgs.tpe_args.constant_liar_type: must be one of best, worst, mean or null, got {liar!r}"
            )
        return cls(
            constant_liar_type=liar.lower() if isinstance(liar, str) else None,
            n_startup_jobs=_int_arg(args, "n_startup_jobs", 20, minimum=0),
            n_ei_candidates=_int_arg(args, "n_ei_candidates", 24, minimum=1),
            linear_forgetting=_int_arg(args, "linear_forgetting", 25, minimum=1),
            prior_weight=_float_arg(args, "prior_weight", 1.0, low=0.0, high=math.inf),
            gamma=_float_arg(args, "gamma", 0.25, low=1e-12, high=1.0),
        )


def _int_arg(args: Mapping[str, Any], key: str, default: int, *, minimum: int) -> int:
    value = args.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"tuner.classArgs.tpe_args.{key}: must be an integer >= {minimum}, got {value!r}")
    return value


def _float_arg(args: Mapping[str, Any], key: str, default: float, *, low: float, high: float) -> float:
    value = args.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        bound = f"between {low:g} and {high:g}" if math.isfinite(high) else f">= {low:g}"
        raise ConfigError(f"tuner.classArgs.tpe_args.{key}: must be a number {bound}, got {value!r}")
    return float(value)


class TpeTuner(Tuner):
    """TPE with NNI's class args: ``optimize_mode`` (default ``'minimize'``), ``seed``, ``tpe_args``.

    Failed trials and NaN results are ignored. Suggestions depend only on the space, the args, the seed
    and the sequence of histories, so a seeded run repeats in any process.
    """

    default_optimize_mode = "minimize"

    def __init__(
        self,
        space: SearchSpace,
        *,
        optimize_mode: str | None = None,
        seed: int | None = None,
        tpe_args: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(space, optimize_mode=optimize_mode, seed=seed)
        self.args = TpeArgs.from_mapping(tpe_args)
        self._reset()

    def _reset(self) -> None:
        self._dedup = Deduplicator(self.space)
        width = len(self.space.dims)
        self._rows = np.empty((0, width))  # encoded usable finished trials, in finish order
        self._losses = np.empty(0)
        self._n_seen = 0  # len(history.finished) already encoded
        self._finished_ids: set[str] = set()
        self._pending_rows: dict[str, np.ndarray] = {}
        self._models: list[tuple[Parzen, Parzen] | None] = []
        self._model_key: tuple[int, tuple[str, ...]] | None = None

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self._reset()

    def suggest(self, history: History) -> dict[str, Any]:
        self._dedup.refresh(history)
        models = self._fit(history)
        vector = self.space.random_vector(self.rng)  # prior draws for dims still warming up
        active: list[bool] = []
        for dim in self.space.dims:
            parent = dim.parent
            is_active = parent is None or (active[parent] and round(vector[parent]) == dim.parent_option)
            active.append(is_active)
            pair = models[dim.index]
            if is_active and pair is not None:
                vector[dim.index] = self._propose(dim.index, pair)
        params = self.space.decode(vector)
        if self._dedup.accept(params):
            return params
        return self._dedup.fresh(self.rng, tuner="TPE")

    def _propose(self, index: int, pair: tuple[Parzen, Parzen]) -> float:
        good, bad = pair
        candidates = good.sample(self.rng, self.args.n_ei_candidates)
        best = candidates[int(np.argmax(good.log_pdf(candidates) - bad.log_pdf(candidates)))]
        return float(ndtr(best)) if self.space.dims[index].normal else float(best)

    # -- model ----------------------------------------------------------------------------------------
    def _fit(self, history: History) -> list[tuple[Parzen, Parzen] | None]:
        self._ingest(history)
        pending = self._pending(history) if self.args.constant_liar_type else []
        key = (len(history.finished), tuple(obs.trial_id for obs in pending))
        if key == self._model_key:
            return self._models
        rows, losses = self._rows, self._losses
        if pending:
            lie = self._lie()
            rows = np.vstack([rows, *(self._pending_row(obs) for obs in pending)])
            losses = np.append(losses, np.full(len(pending), lie))
        self._models = self._fit_dims(rows, losses)
        self._model_key = key
        return self._models

    def _ingest(self, history: History) -> None:
        if len(history.finished) < self._n_seen:  # not the history we have been fed: rebuild
            self._reset()
            self._dedup.refresh(history)
        fresh = history.finished[self._n_seen :]
        self._n_seen = len(history.finished)
        usable = [obs for obs in fresh if obs.usable]
        self._finished_ids.update(obs.trial_id for obs in fresh)
        if usable:
            new_rows = np.array([self.space.encode(obs.parameters) for obs in usable])
            new_losses = np.array([self.loss(float(obs.value or 0.0)) for obs in usable])
            self._rows = np.vstack([self._rows, new_rows])
            self._losses = np.append(self._losses, new_losses)

    def _pending(self, history: History) -> list[Observation]:
        # A late or repeated report may leave a trial in both lists: the finished record wins.
        seen: set[str] = set()
        out = []
        for obs in history.pending:
            if obs.trial_id not in self._finished_ids and obs.trial_id not in seen:
                seen.add(obs.trial_id)
                out.append(obs)
        return out

    def _pending_row(self, obs: Observation) -> np.ndarray:
        row = self._pending_rows.get(obs.trial_id)
        if row is None:
            row = self.space.encode(obs.parameters)
            self._pending_rows[obs.trial_id] = row
        return row

    def _lie(self) -> float:
        # NNI lies 0.0 before any real result: all observations then share one loss, so it does not matter.
        if not len(self._losses):
            return 0.0
        kind = self.args.constant_liar_type
        if kind == "best":
            return float(self._losses.min())
        if kind == "worst":
            return float(self._losses.max())
        return float(self._losses.mean())

    def _fit_dims(self, rows: np.ndarray, losses: np.ndarray) -> list[tuple[Parzen, Parzen] | None]:
        args = self.args
        models: list[tuple[Parzen, Parzen] | None] = []
        full_split: tuple[np.ndarray, np.ndarray] | None = None
        for dim in self.space.dims:
            column = rows[:, dim.index]
            mask = ~np.isnan(column)
            n = int(mask.sum())
            if n == 0 or n < args.n_startup_jobs:
                models.append(None)
                continue
            if n == len(column):  # unconditional dims share one split
                if full_split is None:
                    full_split = split_good_bad(losses, args.gamma, args.linear_forgetting)
                good, bad = full_split
                values = column
            else:
                values = column[mask]
                good, bad = split_good_bad(losses[mask], args.gamma, args.linear_forgetting)
            models.append((self._parzen(dim.index, values[good]), self._parzen(dim.index, values[bad])))
        return models

    def _parzen(self, index: int, values: np.ndarray) -> Parzen:
        dim = self.space.dims[index]
        weights = recency_weights(len(values), self.args.linear_forgetting)
        if dim.categorical:
            return CategoricalParzen.fit(
                values, weights, size=dim.cardinality or 1, prior_weight=self.args.prior_weight
            )
        if dim.normal:
            values = ndtri(np.clip(values, 1e-300, 1 - 2**-53))
        return NumericParzen.fit(values, weights, bounded=not dim.normal, prior_weight=self.args.prior_weight)
