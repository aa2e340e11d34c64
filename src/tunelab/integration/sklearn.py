"""scikit-learn: :class:`TunelabSearchCV`, a drop-in for ``GridSearchCV`` / ``RandomizedSearchCV`` driven by any
tunelab tuner (TPE, GP, Anneal, ...) over a search space in NNI's format.

    from tunelab.integration.sklearn import TunelabSearchCV
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from joblib import effective_n_jobs
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from tunelab.base import ConfigError, TunelabError
from tunelab.integration._sklearn_loop import SearchLoop, TrialSink
from tunelab.space import SearchSpace, parse_search_space
from tunelab.tuners import AskTellTuner, create_tuner

__all__ = ["SearchConfigError", "TunelabSearchCV"]


class SearchConfigError(ConfigError, ValueError):
    """A ``TunelabSearchCV`` argument is invalid. Both a tunelab ``ConfigError`` and a ``ValueError``, so code
    written for sklearn's searches (``except ValueError``) catches it too."""


class TunelabSearchCV(BaseSearchCV):
    """Cross-validated search over ``space`` with a tunelab tuner, maximising sklearn's score.

    Parameters mirror ``RandomizedSearchCV`` (``scoring``, ``refit``, ``cv``, ``n_jobs``, ``error_score``,
    ``return_train_score``, ``verbose``, ``pre_dispatch``); the others:

    space : dict
        A search space in NNI's format, e.g. ``{"C": {"_type": "loguniform", "_value": [1e-3, 1e3]}}``.
        Keys are estimator parameters (``"clf__C"`` reaches into a pipeline). A nested ``choice`` such as
        ``{"kernel": {"_type": "choice", "_value": [{"_name": "rbf", "gamma": {...}}, {"_name": "linear"}]}}``
        sets ``kernel="rbf", gamma=...`` or ``kernel="linear"``; ``cv_results_`` then masks ``param_gamma``
        where it was not set, exactly as RandomizedSearchCV does for a list of distributions.
    n_trials : int, default=10
        Candidates to evaluate (fewer if a finite space runs out first, or ``timeout`` passes).
    tuner : str, default="Auto"
        A builtin tuner name as in an experiment config (``Auto``, ``TPE``, ``Random``, ``GP``, ``Anneal``,
        ``Evolution``, ``GridSearch``, ...; NNI's aliases accepted).
    tuner_args : dict or None
        The tuner's other class args (``{"tpe_args": {...}}``); ``optimize_mode`` and ``seed`` are set from
        ``maximize`` and ``random_state``.
    random_state : int, RandomState or None
        Seeds the tuner: the same seed, data and ``cv`` propose the same candidates, whatever ``n_jobs``.
    timeout : float or None
        Seconds after which no new batch starts (the running one finishes).
    experiment : str, path or None
        Record every trial (parameters, per-fold test scores as intermediate results, the mean as the final
        result, status) into a tunelab experiment so that ``tunelab view ID`` and the UI show it: a directory
        (the experiment directory, created if missing; its name is the experiment id) or an experiment id
        (created under ``$TUNELAB_HOME``), or a ``postgresql://`` URL (the id is generated).

    Design: this class derives from sklearn's ``BaseSearchCV`` and implements ``_run_search``, the hook sklearn
    documents for sequential model-based optimisation, instead of re-implementing ``fit``. So scoring
    (single and multimetric, ``refit=<name>`` or a callable), metadata routing, ``groups``, ``error_score``,
    the refit, ``cv_results_`` (the very same keys as RandomizedSearchCV) and the delegated ``predict``,
    ``predict_proba``, ``decision_function``, ``transform``, ``inverse_transform``, ``score``,
    ``score_samples``, ``classes_``, ``n_features_in_`` behave as in sklearn's own searches, by sklearn's own
    code. The tuner is adaptive: ``_run_search`` asks it for a small batch, evaluates the batch, and tells it
    the scores before asking again.

    Parallelism: ``n_jobs`` parallelises fits, candidates x folds, with joblib, as sklearn's searches do.
    Each batch holds ``ceil(n_jobs / n_splits)`` candidates (one for ``n_jobs=None``), enough to keep the
    workers busy; the tuner sees the batch as pending trials (parallel-aware tuners such as TPE's constant
    liar spread them). Larger ``n_jobs`` thus trades some adaptivity for throughput.

    With several scorers the tuner maximises the one named by ``refit`` (a string), which is then required.
    A candidate whose mean test score is not finite (a fold failed and ``error_score=np.nan``) counts as a
    failed trial for the tuner; with ``error_score="raise"`` the first failure ends ``fit``.
    """

    _parameter_constraints: dict[str, list[Any]] = {
        **BaseSearchCV._parameter_constraints,
        "space": [dict],
        "n_trials": [Interval(numbers.Integral, 1, None, closed="left")],
        "tuner": [str],
        "tuner_args": [dict, None],
        "random_state": ["random_state"],
        "timeout": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "experiment": [str, os.PathLike, None],
    }

    def __init__(
        self,
        estimator: Any,
        space: dict[str, Any],
        *,
        n_trials: int = 10,
        cv: Any = None,
        tuner: str = "Auto",
        tuner_args: dict[str, Any] | None = None,
        n_jobs: int | None = None,
        scoring: Any = None,
        refit: bool | str | Callable[..., int] = True,
        random_state: Any = None,
        timeout: float | None = None,
        error_score: float | str = np.nan,
        return_train_score: bool = False,
        verbose: int = 0,
        pre_dispatch: int | str = "2*n_jobs",
        experiment: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(estimator=estimator, scoring=scoring, n_jobs=n_jobs, refit=refit, cv=cv,
                         verbose=verbose, pre_dispatch=pre_dispatch, error_score=error_score,
                         return_train_score=return_train_score)
        self.space = space
        self.n_trials = n_trials
        self.tuner = tuner
        self.tuner_args = tuner_args
        self.random_state = random_state
        self.timeout = timeout
        self.experiment = experiment

    def fit(self, X: Any, y: Any = None, groups: Any = None, **fit_params: Any) -> TunelabSearchCV:
        """Run the search, then refit the best candidate on all of ``X`` (when ``refit``).

        ``groups`` goes to the ``cv`` splitter, ``fit_params`` to the estimator's ``fit`` (arrays of
        ``len(X)`` are split with the folds). Raises :class:`SearchConfigError` for an invalid ``space`` or
        ``tuner``, sklearn's ``InvalidParameterError`` (a ``ValueError``) for other invalid arguments.
        """
        self._validate_params()  # sklearn's own checks first: they name the argument and the rule
        self._driver = self._make_driver(self._check_space())
        if groups is not None:
            fit_params["groups"] = groups
        result: TunelabSearchCV = super().fit(X, y, **fit_params)
        return result

    def _run_search(self, evaluate_candidates: Callable[..., Mapping[str, Any]],
                    callback_ctx: Any = None) -> None:
        # callback_ctx (sklearn >= 1.9's experimental callbacks) is accepted and not used: passing it on
        # would need evaluate_candidates' keyword, which sklearn < 1.9 lacks.
        sink = self._open_recorder()
        loop = SearchLoop(self._driver, n_trials=self.n_trials, batch_size=self._batch_size(),
                          timeout=self.timeout, metric=self.refit if isinstance(self.refit, str) else None,
                          sink=sink)
        try:
            loop.run(evaluate_candidates)
        except BaseException as exc:
            if sink is not None:
                sink.close(error=f"{type(exc).__name__}: {exc}")
            raise
        if sink is not None:
            sink.close()

    def _batch_size(self) -> int:
        return int(max(1, math.ceil(effective_n_jobs(self.n_jobs) / max(1, int(self.n_splits_)))))

    def _check_space(self) -> SearchSpace:
        if not self.space:
            raise SearchConfigError("space: must be a non-empty search space dict in NNI's format, e.g. "
                                    "{'C': {'_type': 'loguniform', '_value': [1e-3, 1e3]}}")
        try:
            return parse_search_space(self.space)
        except TunelabError as exc:
            # the parser names the config field "searchSpace"; here the argument is "space"
            raise SearchConfigError(f"space{exc.message.removeprefix('searchSpace')}") from exc

    def _make_driver(self, space: SearchSpace) -> AskTellTuner:
        args = dict(self.tuner_args or {})
        for reserved in ("optimize_mode", "seed"):
            if reserved in args:
                raise SearchConfigError(f"tuner_args: {reserved!r} is set by TunelabSearchCV (scores are "
                                        "maximised; the seed comes from random_state); remove it")
        try:
            return create_tuner(self.tuner, space, optimize_mode="maximize", seed=self._seed(), **args)
        except TunelabError as exc:
            raise SearchConfigError(f"tuner={self.tuner!r}: {exc.message}") from exc

    def _seed(self) -> int | None:
        if self.random_state is None:
            return None
        if isinstance(self.random_state, numbers.Integral):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(2**31 - 1))

    def _open_recorder(self) -> TrialSink | None:
        if self.experiment is None:
            return None
        from tunelab.integration._sklearn_record import ExperimentRecorder

        return ExperimentRecorder.open(self.experiment, search=self)
