"""NNI's ``Batch`` tuner: runs a fixed list of parameter sets, in order, once each.

The search space is exactly one ``choice`` parameter whose options are the complete parameter dicts
(NNI's ``{"combine_params": {"_type": "choice", "_value": [{...}, {...}]}}``); each option is a trial's
parameters as given. ``NoMoreTrialsError`` when the list is done.
"""

from __future__ import annotations

from typing import Any

from tunelab.base import ConfigError, NoMoreTrialsError
from tunelab.space import Choice, SearchSpace, params_key
from tunelab.tuners._base import History, Tuner


class BatchTuner(Tuner):
    """``Batch``: no class args besides the ignored ``optimize_mode`` and ``seed``."""

    objective_agnostic = True

    def __init__(
        self, space: SearchSpace, *, optimize_mode: str | None = None, seed: int | None = None
    ) -> None:
        super().__init__(space, optimize_mode=optimize_mode, seed=seed)
        self._values = self._options(space)
        self._next = 0

    @staticmethod
    def _options(space: SearchSpace) -> list[Any]:
        params = space.parameters
        if len(params) != 1 or not isinstance(params[0], Choice) or params[0].nested:
            names = ", ".join(f"{p.name} ({p.type})" for p in params) or "(empty)"
            raise ConfigError(
                "searchSpace: the Batch tuner needs exactly one choice parameter whose options are the "
                f'parameter sets to run, e.g. {{"combine_params": {{"_type": "choice", "_value": '
                f'[{{"lr": 0.1}}, {{"lr": 0.01}}]}}}}; got {names}'
            )
        options = list(params[0].options)
        bad = [option for option in options if not isinstance(option, dict)]
        if bad:
            raise ConfigError(
                f"searchSpace.{params[0].name}: every Batch option must be a dict of parameters, got {bad[0]!r:.80}"
            )
        return options

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self._values = self._options(space)
        self._next = 0

    def suggest(self, history: History) -> dict[str, Any]:
        seen = {params_key(obs.parameters) for obs in [*history.finished, *history.pending]}
        while self._next < len(self._values):
            value = self._values[self._next]
            self._next += 1
            params = dict(value)
            if params_key(params) not in seen:
                return params
        raise NoMoreTrialsError(f"Batch: all {len(self._values)} parameter sets of the search space were run")
