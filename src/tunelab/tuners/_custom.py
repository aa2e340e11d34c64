"""Custom tuners from configs: a tunelab :class:`Tuner` subclass, or an NNI-style class run unchanged.

An NNI tuner is driven by :class:`NniTunerAdapter`: ``update_search_space`` with the NNI dict first,
``generate_parameters(parameter_id)`` per suggestion, and, as trials finish in the history,
``receive_trial_result(parameter_id, parameters, value, customized=..., trial_job_id=...)`` for usable
results and ``trial_end(parameter_id, success)`` for every trial. Trials the tuner did not propose
(resumed or added by hand) are passed to ``import_data`` as ``[{"parameter": ..., "value": ...}]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tunelab.base import InvalidInputError, NoMoreTrialsError, instantiate, load_class
from tunelab.space import SearchSpace, params_key, parse_search_space
from tunelab.trial import TrialState
from tunelab.tuners._base import History, Observation, Tuner


class NniTunerAdapter(Tuner):
    """Wraps an object with NNI's tuner methods behind ``suggest(history)``."""

    def __init__(self, tuner: Any, space: SearchSpace, *, seed: int | None = None) -> None:
        super().__init__(space, seed=seed)
        self.inner = tuner
        self._next_id = 0
        self._proposed: dict[str, list[int]] = {}  # params key -> parameter ids not yet matched
        self._by_trial: dict[str, int] = {}  # trial id -> parameter id
        self._seen = 0
        self.inner.update_search_space(space.to_nni())

    def update_search_space(self, space: SearchSpace) -> None:
        super().update_search_space(space)
        self.inner.update_search_space(space.to_nni())

    def suggest(self, history: History) -> dict[str, Any]:
        self._feed(history)
        parameter_id = self._next_id
        self._next_id += 1
        try:
            params = self.inner.generate_parameters(parameter_id)
        except Exception as exc:
            if type(exc).__name__ == "NoMoreTrialError":  # nni.NoMoreTrialError, real or shim
                raise NoMoreTrialsError(f"custom tuner {type(self.inner).__name__}: no more trials") from exc
            raise
        if not isinstance(params, Mapping):
            raise InvalidInputError(
                f"custom tuner {type(self.inner).__name__}.generate_parameters must return a dict, "
                f"got {type(params).__name__}"
            )
        params = dict(params)
        self._proposed.setdefault(params_key(params), []).append(parameter_id)
        return params

    def _match(self, obs: Observation) -> int | None:
        known = self._by_trial.get(obs.trial_id)
        if known is not None:
            return known
        ids = self._proposed.get(params_key(obs.parameters))
        if ids:
            self._by_trial[obs.trial_id] = ids.pop(0)
            return self._by_trial[obs.trial_id]
        return None

    def _feed(self, history: History) -> None:
        for obs in history.pending:
            self._match(obs)
        if len(history.finished) < self._seen:
            self._seen = 0
        imported: list[dict[str, Any]] = []
        done: set[str] = set()
        for obs in history.finished[self._seen :]:
            if obs.trial_id in done:
                continue  # a duplicate report
            done.add(obs.trial_id)
            parameter_id = self._match(obs)
            if parameter_id is None:
                if obs.usable:
                    imported.append({"parameter": dict(obs.parameters), "value": obs.value})
                continue
            if obs.usable:
                self.inner.receive_trial_result(
                    parameter_id, dict(obs.parameters), obs.value, customized=False, trial_job_id=obs.trial_id
                )
            self.inner.trial_end(parameter_id, obs.state == TrialState.SUCCEEDED)
        self._seen = len(history.finished)
        if imported:
            self.inner.import_data(imported)


def load_custom_tuner(
    class_name: str,
    code_directory: str | Path | None,
    space: SearchSpace | Mapping[str, Any],
    class_args: Mapping[str, Any] | None = None,
    *,
    seed: int | None = None,
) -> Tuner:
    """Load ``class_name`` (``module.Class``) from ``code_directory`` and make it a tunelab tuner.

    A :class:`Tuner` subclass is built as ``cls(space, seed=seed, **class_args)``; any other class as
    ``cls(**class_args)`` (NNI's convention) and wrapped in :class:`NniTunerAdapter`. Raises
    ``ConfigError`` naming ``tuner.className``/``tuner.codeDirectory``/``tuner.classArgs`` on failure.
    """
    parsed = space if isinstance(space, SearchSpace) else parse_search_space(space)
    cls = load_class("tuner", class_name, code_directory)
    args = dict(class_args or {})
    if issubclass(cls, Tuner):
        tuner: Tuner = instantiate("tuner", cls, {"seed": seed, **args, "space": parsed})
        return tuner
    return NniTunerAdapter(instantiate("tuner", cls, args), parsed, seed=seed)
