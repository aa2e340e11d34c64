"""NNI's ``Hyperband`` and ``BOHB``: successive halving in brackets, the budget in ``TRIAL_BUDGET``.

A bracket ``s`` starts ``n`` configurations at the smallest budget of its rungs; when every trial of a
rung has finished, the best ``1/eta`` continue at ``eta`` times the budget (a new trial with the same
parameters and a larger ``TRIAL_BUDGET``). A trial's result is its final metric, else its last
intermediate result (a trial killed early still ranks). Brackets run side by side: when the open rungs
are all waiting for results, a new bracket starts so that free trial slots are used (NNI's
``parallelism`` mode; ``serial`` is accepted and behaves the same, because the experiment loop never
waits on a tuner). After the last bracket (``s = 0``) the cycle starts again with new configurations.

BOHB draws new configurations from a TPE-style model (good/bad kernel densities) fitted on the results
of the largest budget that has enough of them, and at random with probability ``random_fraction``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tunelab.base import ConfigError
from tunelab.space import SearchSpace, params_key
from tunelab.tuners._args import check_choice, check_int, check_number
from tunelab.tuners._base import History, Observation, Tuner
from tunelab.tuners._kde import JointParzen

TRIAL_BUDGET = "TRIAL_BUDGET"


@dataclass
class _Bracket:
    s: int
    budgets: list[float]  # per rung
    sizes: list[int]  # configs per rung
    configs: list[dict[str, Any]] = field(default_factory=list)  # rung-0 configurations
    rung: int = 0
    queue: list[int] = field(default_factory=list)  # config indices still to start at this rung
    issued: dict[str, int] = field(default_factory=dict)  # params key -> config index, this rung
    results: dict[int, float] = field(default_factory=dict)  # config index -> loss, this rung

    def promote(self) -> bool:
        """Move the best configs to the next rung once every trial of this rung reported."""
        if self.queue or len(self.results) < len(self.issued) or self.rung + 1 >= len(self.budgets):
            return False
        ranked = sorted(self.results, key=lambda i: (self.results[i], i))
        self.rung += 1
        self.queue = ranked[: self.sizes[self.rung]]
        self.issued, self.results = {}, {}
        return True

    @property
    def done(self) -> bool:
        return not self.queue and len(self.results) == len(self.issued) and self.rung + 1 >= len(self.budgets)


class _SuccessiveHalving(Tuner):
    """Shared bracket bookkeeping; subclasses set the budgets and how new configurations are drawn."""

    def __init__(
        self, space: SearchSpace, *, optimize_mode: str | None, seed: int | None, eta: float
    ) -> None:
        super().__init__(space, optimize_mode=optimize_mode, seed=seed)
        self.eta = check_number("eta", eta, low=1.0 + 1e-9)
        self._reset_brackets()

    def _reset_brackets(self) -> None:
        self._brackets: list[_Bracket] = []
        self._next_s = self.s_max
        self._seen = 0
        # (budget, encoded config, loss) of every finished trial we issued, for model-based sampling
        self.records: list[tuple[float, dict[str, Any], float]] = []

    @property
    def s_max(self) -> int:
        raise NotImplementedError

    def budgets(self, s: int) -> list[float]:
        raise NotImplementedError

    def new_config(self) -> dict[str, Any]:
        return self.space.sample(self.rng)

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self._reset_brackets()

    def suggest(self, history: History) -> dict[str, Any]:
        self._ingest(history)
        for bracket in self._brackets:
            if bracket.queue:
                return self._issue(bracket)
        bracket = self._open_bracket()
        return self._issue(bracket)

    def _open_bracket(self) -> _Bracket:
        s = self._next_s
        self._next_s = self._next_s - 1 if self._next_s > 0 else self.s_max
        n = math.ceil((self.s_max + 1) / (s + 1) * self.eta**s)
        sizes = [max(math.floor(n * self.eta ** (-i)), 1) for i in range(s + 1)]
        bracket = _Bracket(s, self.budgets(s), sizes)
        bracket.configs = [self.new_config() for _ in range(n)]
        bracket.queue = list(range(n))
        self._brackets.append(bracket)
        return bracket

    def _issue(self, bracket: _Bracket) -> dict[str, Any]:
        index = bracket.queue.pop(0)
        params = {**bracket.configs[index], TRIAL_BUDGET: _budget_value(bracket.budgets[bracket.rung])}
        bracket.issued[params_key(params)] = index
        return params

    def _ingest(self, history: History) -> None:
        if len(history.finished) < self._seen:
            self._seen = 0
        for obs in history.finished[self._seen :]:
            self._record(obs)
        self._seen = len(history.finished)
        for bracket in self._brackets:
            while bracket.promote():
                pass
        self._brackets = [b for b in self._brackets if not b.done]

    def _record(self, obs: Observation) -> None:
        key = params_key(obs.parameters)
        loss = self._loss_of(obs)
        for bracket in self._brackets:
            index = bracket.issued.get(key)
            if index is not None and index not in bracket.results:
                bracket.results[index] = loss
                if math.isfinite(loss):
                    budget = bracket.budgets[bracket.rung]
                    self.records.append((budget, bracket.configs[index], loss))
                return

    def _loss_of(self, obs: Observation) -> float:
        value = obs.value if obs.usable else None
        if value is None:
            finite = [v for v in obs.intermediate if math.isfinite(v)]
            value = finite[-1] if finite else None
        return math.inf if value is None else self.loss(float(value))


def _budget_value(budget: float) -> float | int:
    rounded = round(budget)
    return int(rounded) if abs(budget - rounded) < 1e-9 else budget


class HyperbandTuner(_SuccessiveHalving):
    """``Hyperband`` with NNI's class args: ``optimize_mode`` ('maximize'), ``R`` (60, the largest
    budget), ``eta`` (3), ``exec_mode`` ('parallelism' or 'serial'), ``seed``. Budgets are
    ``R * eta^(i - s)`` rounded down to integers (as NNI) as the trial reads them from ``TRIAL_BUDGET``."""

    def __init__(
        self,
        space: SearchSpace,
        *,
        optimize_mode: str | None = None,
        seed: int | None = None,
        R: int = 60,
        eta: int = 3,
        exec_mode: str = "parallelism",
    ) -> None:
        self.R = check_int("R", R, low=1)
        self.exec_mode = check_choice("exec_mode", exec_mode, ("parallelism", "serial"))
        super().__init__(space, optimize_mode=optimize_mode, seed=seed, eta=eta)

    @property
    def s_max(self) -> int:
        return math.floor(math.log(self.R) / math.log(self.eta) + 1e-9)

    def budgets(self, s: int) -> list[float]:
        # NNI rounds down: floor(R / eta**s * eta**i) (hyperband_advisor.Bracket.get_n_r)
        return [float(math.floor(self.R / self.eta**s * self.eta**i + 1e-9)) for i in range(s + 1)]


class BohbTuner(_SuccessiveHalving):
    """``BOHB`` with NNI's class args: ``optimize_mode`` ('maximize'), ``min_budget`` (1),
    ``max_budget`` (3), ``eta`` (3), ``min_points_in_model`` (None: dims + 1), ``top_n_percent`` (15),
    ``num_samples`` (64), ``random_fraction`` (1/3), ``bandwidth_factor`` (3), ``min_bandwidth`` (1e-3),
    ``seed``. ``config_space`` (a ConfigSpace file in NNI) is not supported: the search space is used."""

    def __init__(
        self,
        space: SearchSpace,
        *,
        optimize_mode: str | None = None,
        seed: int | None = None,
        min_budget: float = 1,
        max_budget: float = 3,
        eta: float = 3,
        min_points_in_model: int | None = None,
        top_n_percent: float = 15,
        num_samples: int = 64,
        random_fraction: float = 1 / 3,
        bandwidth_factor: float = 3,
        min_bandwidth: float = 1e-3,
        config_space: str | None = None,
    ) -> None:
        if config_space is not None:
            raise ConfigError(
                f"tuner.classArgs.config_space: ConfigSpace files are not supported, got {config_space!r}; "
                "remove it: BOHB reads the experiment's search space"
            )
        self.min_budget = check_number("min_budget", min_budget, low=1e-12)
        self.max_budget = check_number("max_budget", max_budget, low=self.min_budget)
        width = len(space.dims)
        self.min_points_in_model = (
            width + 1
            if min_points_in_model is None
            else check_int("min_points_in_model", min_points_in_model, low=1)
        )
        self.top_n_percent = check_number("top_n_percent", top_n_percent, low=1e-9, high=100)
        self.num_samples = check_int("num_samples", num_samples, low=1)
        self.random_fraction = check_number("random_fraction", random_fraction, low=0.0, high=1.0)
        self.bandwidth_factor = check_number("bandwidth_factor", bandwidth_factor, low=1e-9)
        self.min_bandwidth = check_number("min_bandwidth", min_bandwidth, low=0.0)
        super().__init__(space, optimize_mode=optimize_mode, seed=seed, eta=eta)

    @property
    def s_max(self) -> int:
        return math.floor(math.log(self.max_budget / self.min_budget) / math.log(self.eta) + 1e-9)

    def budgets(self, s: int) -> list[float]:
        exact = [self.max_budget * self.eta ** (i - s) for i in range(s + 1)]
        if float(self.min_budget).is_integer() and float(self.max_budget).is_integer():
            # NNI's integer budgets (its class args are ints): each rung's TRIAL_BUDGET rounded down, so
            # max_budget=10, eta=3 runs 1, 3, 10 epochs as on NNI, not 1.11, 3.33, 10.
            return [float(math.floor(budget + 1e-9)) for budget in exact]
        return exact  # fractional budgets (NNI refuses them): the exact geometric ladder

    def new_config(self) -> dict[str, Any]:
        if self.rng.random() < self.random_fraction:
            return self.space.sample(self.rng)
        by_budget: dict[float, list[tuple[dict[str, Any], float]]] = {}
        for budget, config, loss in self.records:
            by_budget.setdefault(budget, []).append((config, loss))
        usable = [b for b, runs in by_budget.items() if len(runs) >= self.min_points_in_model + 2]
        if not usable:
            return self.space.sample(self.rng)
        runs = by_budget[max(usable)]
        return self._model_config(runs)

    def _model_config(self, runs: list[tuple[dict[str, Any], float]]) -> dict[str, Any]:
        space = self.space
        rows = np.array([space.encode(config) for config, _ in runs])
        losses = np.array([loss for _, loss in runs])
        order = np.argsort(losses, kind="stable")
        n_good = max(self.min_points_in_model, math.ceil(self.top_n_percent / 100 * len(runs)))
        n_good = min(n_good, len(runs) - 1)
        good, bad = rows[order[:n_good]], rows[order[n_good:]]
        numeric = [d.index for d in space.dims if not d.categorical]
        categorical = [d.index for d in space.dims if d.categorical]
        bounded = np.array([not space.dims[i].normal for i in numeric], dtype=bool)
        sizes = tuple(space.dims[i].cardinality or 1 for i in categorical)

        def fit(part: np.ndarray, scale: float) -> JointParzen:
            part = np.where(np.isnan(part), 0.5, part)  # inactive dims of nested choices: a constant
            return JointParzen.fit(
                part[:, numeric],
                part[:, categorical],
                np.ones(len(part)),
                bounded=bounded,
                sizes=sizes,
                prior_weight=1.0,
                n_clip=len(part),
                bandwidth_scale=scale,
                min_bandwidth=self.min_bandwidth,
            )

        l_model, g_model = fit(good, 1.0), fit(bad, 1.0)
        sampler = fit(good, self.bandwidth_factor)
        num, cat = sampler.sample(self.rng, self.num_samples)
        best = int(np.argmax(l_model.log_pdf(num, cat) - g_model.log_pdf(num, cat)))
        vector = space.random_vector(self.rng)
        vector[numeric] = num[best]
        vector[categorical] = cat[best]
        return space.decode(vector)
