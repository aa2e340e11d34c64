"""The ask / evaluate / tell loop behind ``TunelabSearchCV``, independent of the estimator class.

``BaseSearchCV.fit`` hands ``_run_search`` an ``evaluate_candidates(list_of_params) -> cv_results`` callback;
this loop asks the tuner for a batch, evaluates it with that callback, and tells the tuner each candidate's
mean test score read back from the returned results (rows are appended in call order).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tunelab.base import InvalidInputError, NoMoreTrialsError
from tunelab.tuners import AskTellTuner, Suggestion

Evaluate = Callable[[list[dict[str, Any]]], Mapping[str, Any]]


class TrialSink(Protocol):
    """Where the loop reports each trial's life (the optional experiment recorder)."""

    def started(self, suggestion: Suggestion, estimator_params: Mapping[str, Any]) -> None: ...

    def finished(self, ident: int, fold_scores: Sequence[float], mean: float | None, message: str) -> None: ...

    def close(self, error: str | None = None) -> None:
        """The search ended (``error`` says why, when it raised)."""
        ...


@dataclass
class _Candidate:
    suggestion: Suggestion
    params: dict[str, Any]
    told: bool = False


class SearchCVInputError(InvalidInputError, ValueError):
    """A bad argument or search space given to ``TunelabSearchCV``.

    Both an ``InvalidInputError`` (tunelab's contract for user mistakes) and a ``ValueError``, which is what
    scikit-learn code catches when a search is given bad parameters.
    """


def flatten_params(parameters: Mapping[str, Any], _into: dict[str, Any] | None = None) -> dict[str, Any]:
    """NNI parameters as estimator parameters: a nested choice ``{"kernel": {"_name": "rbf", "gamma": 0.1}}``
    becomes ``{"kernel": "rbf", "gamma": 0.1}`` (the branch's keys sit beside the chosen name).

    Raises ``SearchCVInputError`` when a branch key repeats a key already set (the estimator could not take
    both); rename one of them in the search space.
    """
    flat = {} if _into is None else _into
    for key, value in parameters.items():
        if isinstance(value, Mapping) and "_name" in value:
            _put(flat, key, value["_name"])
            flatten_params({k: v for k, v in value.items() if k != "_name"}, flat)
        else:
            _put(flat, key, value)
    return flat


def _put(flat: dict[str, Any], key: str, value: Any) -> None:
    if key in flat:
        raise SearchCVInputError(
            f"space: parameter {key!r} appears both at the top level and inside a nested choice (or in two "
            "nested levels); estimator parameters must be unique, so rename one of them"
        )
    flat[key] = value


def _all_fits_failed(exc: ValueError) -> bool:
    # sklearn's _warn_or_raise_about_fit_failures raises this ValueError when every fit of ONE
    # evaluate_candidates call failed; there is no exception type to catch, only its message.
    return "fits failed" in str(exc)


class SearchLoop:
    """Runs at most ``n_trials`` candidates in batches of ``batch_size`` until ``timeout`` seconds pass.

    ``metric`` is the scorer name to maximise in multimetric results (``"score"`` for one scorer).
    A batch whose every fit failed (``error_score`` numeric) makes sklearn raise although other batches
    succeeded; its candidates are told to the tuner as failed and evaluated again with the next batch so
    that they still get their ``cv_results_`` row, as in RandomizedSearchCV. Only if the *last* batch fails
    entirely are its rows missing (a warning says so); if no fit ever succeeds sklearn's error is raised.
    """

    def __init__(self, driver: AskTellTuner, *, n_trials: int, batch_size: int, timeout: float | None,
                 metric: str | None, sink: TrialSink | None = None) -> None:
        self.driver = driver
        self.n_trials = n_trials
        self.batch_size = max(1, batch_size)
        self.timeout = timeout
        self.metric = metric
        self.sink = sink
        self.rows = 0

    def run(self, evaluate: Evaluate) -> None:
        start = time.monotonic()
        asked = 0
        deferred: list[_Candidate] = []
        failure: ValueError | None = None
        while asked < self.n_trials and not self._timed_out(start):
            batch = self._ask(min(self.batch_size, self.n_trials - asked))
            if not batch:
                break
            asked += len(batch)
            run = deferred + batch
            try:
                results = evaluate([dict(c.params) for c in run])
            except ValueError as exc:
                if not _all_fits_failed(exc):
                    raise
                failure = exc
                for candidate in batch:
                    self._tell(candidate, [], None, "every cross-validation fit failed")
                deferred = run
                continue
            first_row = len(results["params"]) - len(run)
            self.rows = len(results["params"])
            for offset, candidate in enumerate(run):
                if not candidate.told:
                    self._tell_from(results, first_row + offset, candidate)
            deferred = []
        if deferred:
            if failure is not None and self.rows == 0:
                raise failure
            warnings.warn(f"TunelabSearchCV: the last {len(deferred)} candidate(s) failed in every fit and "
                          "have no cv_results_ row (sklearn cannot record a batch that failed entirely)",
                          UserWarning, stacklevel=4)

    def _timed_out(self, start: float) -> bool:
        return self.timeout is not None and time.monotonic() - start >= self.timeout

    def _ask(self, count: int) -> list[_Candidate]:
        batch: list[_Candidate] = []
        for _ in range(count):
            try:
                suggestion = self.driver.ask()
            except NoMoreTrialsError:
                break  # a finite space (grid, choices only) is exhausted
            candidate = _Candidate(suggestion, flatten_params(suggestion.parameters))
            if self.sink is not None:
                self.sink.started(suggestion, candidate.params)
            batch.append(candidate)
        return batch

    def _tell_from(self, results: Mapping[str, Any], row: int, candidate: _Candidate) -> None:
        key = self._score_key(results)
        folds = [float(results[f"split{k}_test_{key}"][row]) for k in range(self._n_splits(results, key))]
        mean = float(results[f"mean_test_{key}"][row])
        usable = mean if math.isfinite(mean) else None
        message = "" if usable is not None else "a cross-validation fit or score failed (error_score used)"
        self._tell(candidate, folds, usable, message)

    def _tell(self, candidate: _Candidate, folds: list[float], value: float | None, message: str) -> None:
        # A non-finite mean (a failed fold scored with error_score=nan) is a failed trial for the tuner.
        self.driver.tell(candidate.suggestion, value)
        candidate.told = True
        if self.sink is not None:
            self.sink.finished(candidate.suggestion.id, folds, value, message)

    def _score_key(self, results: Mapping[str, Any]) -> str:
        if self.metric is not None and f"mean_test_{self.metric}" in results:
            return self.metric
        if "mean_test_score" in results:
            return "score"
        raise SearchCVInputError(
            "refit: the scoring returns several metrics, so TunelabSearchCV needs to know which one to "
            "maximise; pass refit='<metric name>' (one of the scoring dict's keys)"
        )

    @staticmethod
    def _n_splits(results: Mapping[str, Any], key: str) -> int:
        count = 0
        while f"split{count}_test_{key}" in results:
            count += 1
        return count
