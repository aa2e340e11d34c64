"""NNI's ``TPE`` tuner: Tree-structured Parzen Estimator, multivariate by default.

The best observations form the "good" density l(x), the rest the "bad" density g(x); ``n_ei_candidates``
draws from l are scored by log l - log g and the best is kept. By default the always-active dims share one
product-kernel estimator (multivariate TPE: the dims are proposed jointly, so interactions are learnt);
dims inside nested choices get one-dimensional estimators fitted on the trials in which they were active.
``tpe_args.multivariate: false`` gives NNI's fully univariate TPE.

Defaults differ from NNI's where our quality benchmark (``benchmarks/quality.py``, tuned on seeds the
reported run does not use) says so: multivariate, ``n_startup_jobs`` 10 space-filling warm-up points,
``n_ei_candidates`` 48, the good set ``ceil(0.15 n)`` (capped at ``linear_forgetting``) unless ``gamma`` is
given (then NNI's ``ceil(gamma sqrt(n))``), good observations weighted by their improvement over the split
threshold (Watanabe 2023's "EI" weights), and running trials lie with the worst loss (so parallel asks
move away from them).
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
from tunelab.tuners._kde import JointParzen
from tunelab.tuners._parzen import CategoricalParzen, NumericParzen, Parzen, recency_weights
from tunelab.tuners._startup import WarmupSequence

_LIARS = ("best", "worst", "mean")
#: Share of the history in the good set when ``gamma`` is not given (Watanabe 2023's linear rule, 0.15).
_LINEAR_GAMMA = 0.15
#: Above this many bad observations the bad density is fitted to a seeded random subset of this size.
_MAX_BAD_COMPONENTS = 256
#: Categorical dims with more options than this are modelled univariately even in multivariate mode.
_JOINT_CATEGORICAL_LIMIT = 256
#: Weight the good observations by their improvement over the split threshold (else uniformly).
_EI_WEIGHTS = True


@dataclass(frozen=True, slots=True)
class TpeArgs:
    """NNI's ``tpe_args`` (``nni.algorithms.hpo.tpe_tuner.TpeArguments``) plus ``multivariate``.

    ``gamma`` ``None`` selects the linear split rule; a number selects NNI's square-root rule.
    """

    constant_liar_type: str | None = "worst"
    n_startup_jobs: int = 10
    n_ei_candidates: int = 48
    linear_forgetting: int = 25
    prior_weight: float = 1.0
    gamma: float | None = None
    multivariate: bool = True

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
        liar = args.get("constant_liar_type", "worst")
        if isinstance(liar, str) and liar.lower() in ("none", "null", ""):
            liar = None
        if liar is not None and (not isinstance(liar, str) or liar.lower() not in _LIARS):
            raise ConfigError(
                f"tuner.classArgs.tpe_args.constant_liar_type: must be one of best, worst, mean or null, got {liar!r}"
            )
        return cls(
            constant_liar_type=liar.lower() if isinstance(liar, str) else None,
            n_startup_jobs=_int_arg(args, "n_startup_jobs", 10, minimum=0),
            n_ei_candidates=_int_arg(args, "n_ei_candidates", 48, minimum=1),
            linear_forgetting=_int_arg(args, "linear_forgetting", 25, minimum=1),
            prior_weight=_float_arg(args, "prior_weight", 1.0, low=0.0, high=math.inf),
            gamma=None if args.get("gamma") is None else _float_arg(args, "gamma", 0.25, low=1e-12, high=1.0),
            multivariate=_bool_arg(args, "multivariate", True),
        )


def _int_arg(args: Mapping[str, Any], key: str, default: int, *, minimum: int) -> int:
    value = args.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"tuner.classArgs.tpe_args.{key}: must be an integer >= {minimum}, got {value!r}")
    return value


def _bool_arg(args: Mapping[str, Any], key: str, default: bool) -> bool:
    value = args.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"tuner.classArgs.tpe_args.{key}: must be true or false, got {value!r}")
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
        self._warmup = WarmupSequence(self.space, self.seed)
        width = len(self.space.dims)
        self._rows = _Buffer(width)  # encoded usable finished trials, in finish order
        self._losses = _Buffer(self._loss_width())  # one row per usable trial: its loss (vector)
        self._n_seen = 0  # len(history.finished) already encoded
        self._finished_ids: set[str] = set()
        self._pending_rows: dict[str, np.ndarray] = {}
        self._model: _Model | None = None
        self._model_key: tuple[int, tuple[str, ...]] | None = None
        # Wide categorical dims stay univariate: the joint kernel stores one row of option probabilities
        # per component, which a randint over a million values cannot afford.
        self._joint = (
            [
                d.index
                for d in self.space.dims
                if d.parent is None and (d.cardinality or 0) <= _JOINT_CATEGORICAL_LIMIT
            ]
            if self.args.multivariate
            else []
        )
        joint = set(self._joint)
        # Dims every trial of this space has: a trial lacking one (asked under an earlier search space,
        # before `update searchspace` added or renamed a parameter) cannot be placed in the model.
        self._always = np.array([d.index for d in self.space.dims if d.parent is None], dtype=np.int64)
        self._single = [d.index for d in self.space.dims if d.index not in joint]
        self._joint_num = [i for i in self._joint if not self.space.dims[i].categorical]
        self._joint_cat = [i for i in self._joint if self.space.dims[i].categorical]

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self._reset()

    def suggest(self, history: History) -> dict[str, Any]:
        self._dedup.refresh(history)
        model = self._fit(history)
        if model is None:  # warm-up: a space-filling point
            vector = self._warmup.vector(len(history.finished) + len(history.pending))
        else:
            vector = self.space.random_vector(self.rng)  # prior draws for dims still warming up
            if model.joint is not None:
                self._propose_joint(model.joint, vector)
            active: list[bool] = []
            for dim in self.space.dims:
                parent = dim.parent
                is_active = parent is None or (active[parent] and round(vector[parent]) == dim.parent_option)
                active.append(is_active)
                pair = model.single.get(dim.index)
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

    def _propose_joint(self, pair: tuple[JointParzen, JointParzen], vector: np.ndarray) -> None:
        good, bad = pair
        num, cat = good.sample(self.rng, self.args.n_ei_candidates)
        score = good.log_pdf(num, cat) - bad.log_pdf(num, cat)
        best = int(np.argmax(score))
        for j, index in enumerate(self._joint_num):
            value = num[best, j]
            vector[index] = float(ndtr(value)) if self.space.dims[index].normal else float(value)
        for j, index in enumerate(self._joint_cat):
            vector[index] = float(cat[best, j])

    # -- model ----------------------------------------------------------------------------------------
    def _fit(self, history: History) -> _Model | None:
        self._ingest(history)
        pending = self._pending(history) if self.args.constant_liar_type else []
        key = (len(history.finished), tuple(obs.trial_id for obs in pending))
        if key == self._model_key:
            return self._model
        rows, losses = self._rows.view(), self._losses.view()
        if len(losses) < max(self.args.n_startup_jobs, 1):
            self._model, self._model_key = None, key
            return None
        lying = [row for row in (self._pending_row(obs) for obs in pending) if self._fits(row)]
        if lying:
            lie = self._lie(losses)
            rows = np.vstack([rows, *lying])
            losses = np.vstack([losses, np.tile(lie, (len(lying), 1))])
        self._model = _Model(self._fit_joint(rows, losses), self._fit_single(rows, losses))
        self._model_key = key
        return self._model

    def _ingest(self, history: History) -> None:
        if len(history.finished) < self._n_seen:  # not the history we have been fed: rebuild
            self._reset()
            self._dedup.refresh(history)
        fresh = history.finished[self._n_seen :]
        self._n_seen = len(history.finished)
        self._finished_ids.update(obs.trial_id for obs in fresh)
        for obs in fresh:
            loss = self._loss_row(obs)
            if loss is not None:
                row = self.space.encode(obs.parameters)
                if self._fits(row):
                    self._rows.append(row)
                    self._losses.append(loss)

    def _loss_width(self) -> int:
        return 1

    def _loss_row(self, obs: Observation) -> np.ndarray | None:
        """What the model learns from a finished trial (None when it cannot learn from it): here its loss."""
        return np.array([self.loss(float(obs.value or 0.0))]) if obs.usable else None

    def _fits(self, row: np.ndarray) -> bool:
        """True when ``row`` has a value for every unconditional dim of the current space. A trial from an
        earlier space informs the model through the parameters the space kept (encode drops removed ones
        and clips numbers into new bounds); one missing a parameter, or holding an option the space no
        longer has, is left out of the model (the deduplicator still knows it)."""
        return not bool(np.isnan(row[self._always]).any())

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

    def _lie(self, losses: np.ndarray) -> np.ndarray:
        """The loss row a running trial pretends to have (column-wise, so a loss vector lies too)."""
        kind = self.args.constant_liar_type
        if kind == "best":
            return np.asarray(losses.min(axis=0))
        if kind == "worst":
            return np.asarray(losses.max(axis=0))
        return np.asarray(losses.mean(axis=0))

    def _n_good(self, n: int) -> int:
        cap = self.args.linear_forgetting
        if self.args.gamma is None:
            return min(math.ceil(_LINEAR_GAMMA * n), cap, n)
        return min(math.ceil(self.args.gamma * math.sqrt(n)), cap, n)

    def _split(self, losses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the good and the bad observations (each sorted)."""
        n_good = self._n_good(len(losses))
        order = self._order(losses, n_good)
        return np.sort(order[:n_good]), np.sort(order[n_good:])

    def _order(self, losses: np.ndarray, n_good: int) -> np.ndarray:
        """Observation indices, best first (only the first ``n_good`` need be in exact order)."""
        return np.argsort(losses[:, 0], kind="stable")

    def _good_weights(self, losses: np.ndarray, good: np.ndarray, bad: np.ndarray) -> np.ndarray | None:
        """Weights of the good observations in l(x), None for the default (recency) weights."""
        if not (_EI_WEIGHTS and len(good) and len(bad)):
            return None
        # Watanabe's "EI" weighting: a good trial weighs by how far it lies below the split threshold.
        threshold = float(losses[bad, 0].min())
        gain = threshold - losses[good, 0]
        return gain / gain.mean() if gain.mean() > 0 else None

    def _fit_joint(self, rows: np.ndarray, losses: np.ndarray) -> tuple[JointParzen, JointParzen] | None:
        if not self._joint:
            return None
        good, bad = self._split(losses)
        if len(bad) > _MAX_BAD_COMPONENTS:
            # The bad density from a seeded random subset: at this size the estimate barely moves, and
            # fitting and scoring stay O(1) in the history length.
            bad = np.sort(self.rng.choice(bad, size=_MAX_BAD_COMPONENTS, replace=False))
        weights = self._good_weights(losses, good, bad)
        return self._joint_parzen(rows[good], weights), self._joint_parzen(rows[bad])

    def _joint_parzen(self, rows: np.ndarray, weights: np.ndarray | None = None) -> JointParzen:
        num = rows[:, self._joint_num]
        normal = np.array([self.space.dims[i].normal for i in self._joint_num], dtype=bool)
        if normal.any():
            num = np.where(normal, ndtri(np.clip(num, 1e-300, 1 - 2**-53)), num)
        cat = rows[:, self._joint_cat]
        sizes = tuple(self.space.dims[i].cardinality or 1 for i in self._joint_cat)
        if weights is None:
            weights = recency_weights(len(rows), self.args.linear_forgetting)
        return JointParzen.fit(
            num,
            cat,
            weights,
            bounded=~normal,
            sizes=sizes,
            prior_weight=self.args.prior_weight,
            n_clip=len(rows),
        )

    def _fit_single(self, rows: np.ndarray, losses: np.ndarray) -> dict[int, tuple[Parzen, Parzen]]:
        models: dict[int, tuple[Parzen, Parzen]] = {}
        full_split: tuple[np.ndarray, np.ndarray] | None = None
        for index in self._single:
            column = rows[:, index]
            mask = ~np.isnan(column)
            n = int(mask.sum())
            if n == 0 or n < self.args.n_startup_jobs:
                continue
            if n == len(column):  # unconditional dims share one split
                if full_split is None:
                    full_split = self._split(losses)
                good, bad = full_split
                values = column
            else:
                values = column[mask]
                good, bad = self._split(losses[mask])
            models[index] = (self._parzen(index, values[good]), self._parzen(index, values[bad]))
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


@dataclass(frozen=True, slots=True)
class _Model:
    joint: tuple[JointParzen, JointParzen] | None
    single: dict[int, tuple[Parzen, Parzen]]


class _Buffer:
    """An append-only float matrix with amortized O(1) appends (rows) and a zero-copy view."""

    def __init__(self, width: int) -> None:
        self._data = np.empty((16, max(width, 1)))
        self._width = max(width, 1)
        self.size = 0

    def append(self, row: np.ndarray) -> None:
        if self.size == len(self._data):
            self._data = np.vstack([self._data, np.empty_like(self._data)])
        self._data[self.size, : len(row)] = row
        self.size += 1

    def view(self) -> np.ndarray:
        return self._data[: self.size]
