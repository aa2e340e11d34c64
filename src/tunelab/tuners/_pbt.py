"""NNI's ``PBT`` tuner: population-based training through checkpoint directories, asynchronously.

Member ``i`` of the population trains in steps; each step is one trial whose parameters carry NNI's
``load_checkpoint_dir`` and ``save_checkpoint_dir`` (``<all_checkpoint_dir>/<i>/<step>``): the trial
loads a checkpoint if the directory exists, trains, and saves. When a member's step finishes and it ranks
in the bottom ``fraction`` of the population's latest results, it exploits a member of the top
``fraction`` (loads that member's checkpoint) and explores (each hyperparameter is resampled with
probability ``resample_probability``, else a number is scaled by ``1 ± factor``). Unlike NNI, members do
not wait for a whole generation: the experiment loop never waits on a tuner, so a free slot gets a new
member while the population is not full, then the next step of a finished member, or (when
``trialConcurrency`` exceeds ``population_size``) an extra member.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tunelab.space import Numeric, SearchSpace
from tunelab.tuners._args import check_int, check_number
from tunelab.tuners._base import History, Observation, Tuner

LOAD_KEY, SAVE_KEY = "load_checkpoint_dir", "save_checkpoint_dir"


@dataclass
class _Member:
    index: int
    params: dict[str, Any]  # hyperparameters only
    step: int = 0
    loss: float | None = None  # of the last finished step
    busy: bool = True


class PbtTuner(Tuner):
    """``PBT`` with NNI's class args: ``optimize_mode`` ('maximize'), ``all_checkpoint_dir`` (None:
    ``$NNI_CHECKPOINT_DIRECTORY``, else a directory under the system temp dir), ``population_size``
    (10), ``factor`` (0.2), ``resample_probability`` (0.25), ``fraction`` (0.2), ``seed``."""

    def __init__(
        self,
        space: SearchSpace,
        *,
        optimize_mode: str | None = None,
        seed: int | None = None,
        all_checkpoint_dir: str | None = None,
        population_size: int = 10,
        factor: float = 0.2,
        resample_probability: float = 0.25,
        fraction: float = 0.2,
    ) -> None:
        super().__init__(space, optimize_mode=optimize_mode, seed=seed)
        root = all_checkpoint_dir or os.environ.get("NNI_CHECKPOINT_DIRECTORY")
        self.all_checkpoint_dir = str(
            Path(root).expanduser() if root else Path(tempfile.gettempdir()) / f"tunelab-pbt-{self.seed}"
        )
        self.population_size = check_int("population_size", population_size, low=1)
        self.factor = check_number("factor", factor, low=0.0, high=1.0)
        self.resample_probability = check_number(
            "resample_probability", resample_probability, low=0.0, high=1.0
        )
        self.fraction = check_number("fraction", fraction, low=0.0, high=0.5)
        self._members: list[_Member] = []
        self._by_save_dir: dict[str, int] = {}
        self._seen = 0

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self._members, self._by_save_dir, self._seen = [], {}, 0

    def _dir(self, member: int, step: int) -> str:
        return os.path.join(self.all_checkpoint_dir, str(member), str(step))

    def suggest(self, history: History) -> dict[str, Any]:
        self._ingest(history)
        idle = [m for m in self._members if not m.busy]
        if idle and len(self._members) >= self.population_size:
            return self._next_step(idle[0])
        member = _Member(len(self._members), self.space.sample(self.rng))
        self._members.append(member)
        path = self._dir(member.index, 0)
        return self._issue(member, load=path, save=path)

    def _issue(self, member: _Member, *, load: str, save: str) -> dict[str, Any]:
        member.busy = True
        self._by_save_dir[save] = member.index
        return {**member.params, LOAD_KEY: load, SAVE_KEY: save}

    def _next_step(self, member: _Member) -> dict[str, Any]:
        ranked = sorted((m for m in self._members if m.loss is not None), key=lambda m: (m.loss, m.index))
        cut = max(1, math.ceil(self.fraction * len(ranked))) if self.fraction > 0 else 0
        load = self._dir(member.index, member.step)
        if cut and len(ranked) > 1 and member in ranked[-cut:]:
            donor = ranked[int(self.rng.integers(min(cut, len(ranked) - 1)))]
            if donor is not member:
                load = self._dir(donor.index, donor.step)
                member.params = self._explore(donor.params)
        member.step += 1
        return self._issue(member, load=load, save=self._dir(member.index, member.step))

    def _explore(self, params: dict[str, Any]) -> dict[str, Any]:
        fresh = self.space.sample(self.rng)
        out = dict(params)
        for param in self.space.parameters:
            name = param.name
            if self.rng.random() < self.resample_probability or name not in out:
                out[name] = fresh[name]
            elif isinstance(param, Numeric) and isinstance(out[name], (int, float)):
                scale = 1.0 + self.factor if self.rng.random() < 0.5 else 1.0 - self.factor
                candidate = {**out, name: out[name] * scale}
                # round-trip through the coding so q-rounding and bounds hold
                out[name] = self.space.decode(self.space.encode(candidate))[name]
        return out

    def _ingest(self, history: History) -> None:
        if len(history.finished) < self._seen:
            self._seen = 0
        for obs in history.finished[self._seen :]:
            self._record(obs)
        self._seen = len(history.finished)

    def _record(self, obs: Observation) -> None:
        index = self._by_save_dir.get(str(obs.parameters.get(SAVE_KEY, "")))
        if index is None or index >= len(self._members):
            return
        member = self._members[index]
        if self._dir(index, member.step) != obs.parameters.get(SAVE_KEY) or not member.busy:
            return  # a late or duplicate report of an older step
        member.busy = False
        value = obs.value if obs.usable else None
        if value is None:
            finite = [v for v in obs.intermediate if math.isfinite(v)]
            value = finite[-1] if finite else None
        member.loss = math.inf if value is None else self.loss(float(value))
