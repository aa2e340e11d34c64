"""TunelabSearchCV against real scikit-learn: the cv_results_ contract of RandomizedSearchCV, refit and
delegation, reproducibility, sklearn's estimator checks, parallel fits, search quality and failing fits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="scikit-learn is not installed (pip install 'tunelab[demo]')")

from scipy.stats import loguniform
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GroupKFold, RandomizedSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from tunelab.base import ConfigError, ConflictError, InvalidInputError
from tunelab.integration.sklearn import SearchConfigError, TunelabSearchCV
from tunelab.manager import Mode, open_session
from tunelab.storage import ExperimentRecord, open_store, optimize_mode
from tunelab.trial import ExperimentStatus, Metric, MetricKind, Trial, TrialState

C_SPACE = {"C": {"_type": "loguniform", "_value": [1e-3, 1e3]}}


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return make_classification(n_samples=120, n_features=8, n_informative=4, random_state=0)


def _logreg() -> LogisticRegression:
    return LogisticRegression(max_iter=300)


def _random_search(scoring: Any, refit: Any, train: bool, x: np.ndarray, y: np.ndarray) -> RandomizedSearchCV:
    return RandomizedSearchCV(_logreg(), {"C": loguniform(1e-3, 1e3)}, n_iter=3, cv=3, scoring=scoring,
                              refit=refit, return_train_score=train, random_state=0).fit(x, y)


@pytest.mark.parametrize("train", [False, True])
@pytest.mark.parametrize(("scoring", "refit"), [(None, True), ("roc_auc", True),
                                                (["accuracy", "f1"], "f1"),
                                                ({"acc": "accuracy", "auc": "roc_auc"}, "auc")])
def test_cv_results_keys_equal_randomized_search(data, scoring, refit, train) -> None:
    x, y = data
    ours = TunelabSearchCV(_logreg(), C_SPACE, n_trials=3, cv=3, scoring=scoring, refit=refit,
                           return_train_score=train, random_state=0).fit(x, y)
    theirs = _random_search(scoring, refit, train, x, y)
    assert set(ours.cv_results_) == set(theirs.cv_results_)
    assert isinstance(ours.cv_results_["param_C"], np.ma.MaskedArray)
    assert len(ours.cv_results_["params"]) == 3
    for attr in ("best_index_", "best_params_", "best_score_", "n_splits_", "refit_time_", "scorer_",
                 "multimetric_"):
        assert hasattr(ours, attr), attr
    assert ours.multimetric_ == theirs.multimetric_
    assert type(ours.scorer_) is type(theirs.scorer_)
    metric = refit if isinstance(refit, str) else "score"
    assert ours.best_score_ == np.nanmax(ours.cv_results_[f"mean_test_{metric}"])
    assert ours.cv_results_[f"rank_test_{metric}"][ours.best_index_] == 1


def test_best_estimator_is_refit_on_all_data_and_delegates(data) -> None:
    x, y = data
    search = TunelabSearchCV(_logreg(), C_SPACE, n_trials=4, cv=3, random_state=1).fit(x, y)
    expected = _logreg().set_params(**search.best_params_).fit(x, y)
    np.testing.assert_allclose(search.best_estimator_.coef_, expected.coef_)
    np.testing.assert_array_equal(search.predict(x), expected.predict(x))
    np.testing.assert_allclose(search.predict_proba(x), expected.predict_proba(x))
    np.testing.assert_allclose(search.decision_function(x), expected.decision_function(x))
    assert search.score(x, y) == expected.score(x, y)
    np.testing.assert_array_equal(search.classes_, [0, 1])
    assert search.n_features_in_ == 8
    assert search.refit_time_ > 0


def test_transform_and_inverse_transform_delegate(data) -> None:
    x, _ = data
    from sklearn.decomposition import PCA

    search = TunelabSearchCV(PCA(), {"n_components": {"_type": "randint", "_value": [1, 6]}}, n_trials=3,
                             cv=3, random_state=0).fit(x)
    reduced = search.transform(x)
    assert reduced.shape == (len(x), search.best_params_["n_components"])
    assert search.inverse_transform(reduced).shape == x.shape
    assert np.isfinite(search.score_samples(x)).all()


def test_refit_false_has_no_best_estimator(data) -> None:
    x, y = data
    search = TunelabSearchCV(_logreg(), C_SPACE, n_trials=2, cv=3, refit=False, random_state=0).fit(x, y)
    assert not hasattr(search, "best_estimator_")
    assert "C" in search.best_params_
    with pytest.raises(AttributeError):
        search.predict(x)


def test_feature_names_in_follow_the_best_estimator(data) -> None:
    pd = pytest.importorskip("pandas")
    x, y = data
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])])
    search = TunelabSearchCV(_logreg(), C_SPACE, n_trials=2, cv=3, random_state=0).fit(frame, y)
    assert list(search.feature_names_in_) == list(frame.columns)


@pytest.mark.parametrize("tuner", ["Auto", "TPE", "Random", "Anneal"])
def test_same_random_state_same_search(data, tuner) -> None:
    x, y = data

    def run(n_jobs: int | None) -> list[dict[str, Any]]:
        search = TunelabSearchCV(_logreg(), C_SPACE, n_trials=5, cv=3, tuner=tuner, random_state=7,
                                 n_jobs=n_jobs).fit(x, y)
        return list(search.cv_results_["params"])

    first = run(None)
    assert run(None) == first
    other = TunelabSearchCV(_logreg(), C_SPACE, n_trials=5, cv=3, tuner=tuner, random_state=8).fit(x, y)
    assert list(other.cv_results_["params"]) != first


def test_n_jobs_two_runs_fits_in_parallel(data) -> None:
    x, y = data
    search = TunelabSearchCV(_logreg(), C_SPACE, n_trials=6, cv=2, n_jobs=2, random_state=0).fit(x, y)
    assert len(search.cv_results_["params"]) == 6
    assert search._batch_size() == 1  # ceil(2 jobs / 2 folds): one candidate at a time, its folds in parallel
    wide = TunelabSearchCV(_logreg(), C_SPACE, n_trials=5, cv=2, n_jobs=4, random_state=0).fit(x, y)
    assert wide._batch_size() == 2
    assert len(wide.cv_results_["params"]) == 5  # the last batch is cut to what n_trials leaves
    assert np.isfinite(wide.cv_results_["mean_test_score"]).all()


def test_beats_the_median_random_point() -> None:
    # An RBF SVC's score depends strongly on C and gamma: most random points are poor.
    x, y = make_classification(n_samples=200, n_features=10, n_informative=5, random_state=3)
    space = {"C": {"_type": "loguniform", "_value": [1e-3, 1e3]},
             "gamma": {"_type": "loguniform", "_value": [1e-5, 1e2]}}
    search = TunelabSearchCV(SVC(), space, n_trials=20, cv=3, tuner="TPE", random_state=0).fit(x, y)
    rng = np.random.default_rng(0)
    random_scores = [
        cross_val_score(SVC(C=10 ** rng.uniform(-3, 3), gamma=10 ** rng.uniform(-5, 2)), x, y, cv=3).mean()
        for _ in range(20)
    ]
    assert search.best_score_ > np.median(random_scores) + 0.1
    assert search.best_score_ >= max(random_scores) - 0.02


def test_nested_choice_sets_the_branch_parameters(data) -> None:
    x, y = data
    space = {"kernel": {"_type": "choice", "_value": [
        {"_name": "rbf", "gamma": {"_type": "loguniform", "_value": [1e-3, 1]}}, {"_name": "linear"}]},
        "C": {"_type": "loguniform", "_value": [1e-2, 1e2]}}
    search = TunelabSearchCV(SVC(), space, n_trials=8, cv=3, tuner="Random", random_state=0).fit(x, y)
    params = search.cv_results_["params"]
    assert {p["kernel"] for p in params} == {"rbf", "linear"}
    for row, p in enumerate(params):
        assert ("gamma" in p) == (p["kernel"] == "rbf")
        assert bool(np.ma.getmaskarray(search.cv_results_["param_gamma"])[row]) == (p["kernel"] == "linear")


def test_pipeline_parameters_and_groups_reach_their_targets(data) -> None:
    x, y = data
    groups = np.arange(len(x)) % 4
    pipe = make_pipeline(StandardScaler(), _logreg())
    search = TunelabSearchCV(pipe, {"logisticregression__C": C_SPACE["C"]}, n_trials=2, cv=GroupKFold(4),
                             random_state=0).fit(x, y, groups=groups)
    assert search.n_splits_ == 4
    assert search.best_params_[
        "logisticregression__C"] == search.best_estimator_.named_steps["logisticregression"].C
    with pytest.raises(ValueError, match="groups"):
        TunelabSearchCV(pipe, {"logisticregression__C": C_SPACE["C"]}, n_trials=1, cv=GroupKFold(4)).fit(x, y)


class _FailsOnSomeFolds(ClassifierMixin, BaseEstimator):
    """Fit raises when ``fail`` is set and the training fold starts with the data's first row."""

    def __init__(self, fail: bool = False, bias: float = 0.0) -> None:
        self.fail = fail
        self.bias = bias

    def fit(self, x: np.ndarray, y: np.ndarray) -> _FailsOnSomeFolds:
        if self.fail and x[0, 0] == self.first:
            raise RuntimeError("this fold always fails")
        self.classes_ = np.unique(y)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.where(x[:, 0] + self.bias > 0, self.classes_[-1], self.classes_[0])

    first = 0.0


def _failing_setup(data: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = data
    _FailsOnSomeFolds.first = float(x[0, 0])
    return x, y


def test_error_score_fills_a_failed_fold_and_the_tuner_moves_on(data) -> None:
    x, y = _failing_setup(data)
    space = {"fail": {"_type": "choice", "_value": [True, False]},
             "bias": {"_type": "uniform", "_value": [-1, 1]}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search = TunelabSearchCV(_FailsOnSomeFolds(), space, n_trials=6, cv=3, tuner="Random",
                                 random_state=0, error_score=-1.0).fit(x, y)
    assert any(issubclass(w.category, FitFailedWarning) for w in caught)
    results = search.cv_results_
    failing = [i for i, p in enumerate(results["params"]) if p["fail"]]
    assert failing, "the seeded random tuner should try fail=True at least once"
    # cv=3 without shuffle: only the fold whose training part starts at row 0 fails (folds 1 and 2).
    for row in failing:
        assert results["split1_test_score"][row] == -1.0
        assert results["split0_test_score"][row] != -1.0
    assert search.best_params_["fail"] is False


def test_error_score_raise_stops_fit(data) -> None:
    x, y = _failing_setup(data)
    with pytest.raises(RuntimeError, match="always fails"):
        TunelabSearchCV(_FailsOnSomeFolds(), {"fail": {"_type": "choice", "_value": [True]}}, n_trials=1,
                        cv=3, error_score="raise").fit(x, y)


class _FailsWhenAsked(ClassifierMixin, BaseEstimator):
    def __init__(self, broken: bool = False, bias: float = 0.0) -> None:
        self.broken = broken
        self.bias = bias

    def fit(self, x: np.ndarray, y: np.ndarray) -> _FailsWhenAsked:
        if self.broken:
            raise ValueError("broken configuration")
        self.classes_ = np.unique(y)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.where(x[:, 0] + self.bias > 0, self.classes_[-1], self.classes_[0])


def _grid(broken_first: bool) -> dict[str, Any]:
    # GridSearch enumerates in order: the three broken candidates come first (or last).
    return {"broken": {"_type": "choice", "_value": [broken_first, not broken_first]},
            "bias": {"_type": "choice", "_value": [0.1, -0.1, 0.3]}}


@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.FitFailedWarning")
def test_candidates_failing_every_fold_still_get_their_rows(data) -> None:
    # sklearn raises when every fit of one evaluate_candidates call fails; with one candidate per batch the
    # loop carries such candidates into the next batch so that they keep their rows, as in RandomizedSearchCV.
    x, y = data
    search = TunelabSearchCV(_FailsWhenAsked(), _grid(True), n_trials=6, cv=3, tuner="GridSearch").fit(x, y)
    params = search.cv_results_["params"]
    assert [p["broken"] for p in params] == [True] * 3 + [False] * 3
    assert np.isnan(search.cv_results_["mean_test_score"][:3]).all()
    assert np.isfinite(search.cv_results_["mean_test_score"][3:]).all()
    assert search.best_params_["broken"] is False
    finished = search._driver.history.finished
    assert [obs.value is None for obs in finished] == [True] * 3 + [False] * 3  # told once each


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.FitFailedWarning")
def test_a_trailing_batch_failing_every_fold_is_reported(data) -> None:
    x, y = data
    with pytest.warns(UserWarning, match="the last 1 candidate"):
        search = TunelabSearchCV(_FailsWhenAsked(), _grid(False), n_trials=4, cv=3,
                                 tuner="GridSearch").fit(x, y)
    assert len(search.cv_results_["params"]) == 3
    assert len(search._driver.history.finished) == 4


@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
def test_every_fit_failing_raises_sklearns_error(data) -> None:
    x, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        with pytest.raises(ValueError, match="fits failed"):
            TunelabSearchCV(_FailsWhenAsked(), {"broken": {"_type": "choice", "_value": [True]},
                                                "bias": {"_type": "uniform", "_value": [0, 1]}},
                            n_trials=3, cv=3, tuner="Random", random_state=0).fit(x, y)


def test_timeout_stops_starting_batches(data) -> None:
    x, y = data
    search = TunelabSearchCV(_logreg(), C_SPACE, n_trials=1000, cv=2, timeout=0.3, random_state=0).fit(x, y)
    assert 1 <= len(search.cv_results_["params"]) < 1000


def test_a_finite_space_ends_early(data) -> None:
    x, y = data
    space = {"C": {"_type": "choice", "_value": [0.1, 1.0, 10.0]}}
    search = TunelabSearchCV(_logreg(), space, n_trials=10, cv=2, tuner="GridSearch").fit(x, y)
    assert sorted(p["C"] for p in search.cv_results_["params"]) == [0.1, 1.0, 10.0]


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"tuner": "NoSuchTuner"}, r"tuner='NoSuchTuner': tuner\.name: unknown tuner"),
    ({"tuner": "SMAC"}, r"tuner='SMAC'.*use \"Auto\""),
    ({"space": {"C": {"_type": "loguniform", "_value": [0, 1]}}}, r"space\.C: loguniform needs 0 < low < high"),
    ({"space": {"C": {"_type": "nosuchtype", "_value": [0, 1]}}}, r"space\.C: unknown _type 'nosuchtype'"),
    ({"space": {}}, r"space: must be a non-empty"),
    ({"tuner_args": {"seed": 3}}, r"tuner_args: 'seed' is set by TunelabSearchCV"),
    ({"tuner_args": {"nonsense": 3}}, r"classArgs\.nonsense"),
])
def test_bad_configuration_is_a_clear_value_error(data, kwargs, match) -> None:
    x, y = data
    args = {"space": C_SPACE, **kwargs}
    with pytest.raises(SearchConfigError, match=match) as info:
        TunelabSearchCV(_logreg(), n_trials=1, cv=2, **args).fit(x, y)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, ConfigError)


@pytest.mark.parametrize(("kwargs", "name"), [({"n_trials": 0}, "n_trials"), ({"n_trials": 1.5}, "n_trials"),
                                              ({"timeout": -1}, "timeout"), ({"space": [1]}, "space")])
def test_invalid_arguments_name_themselves(data, kwargs, name) -> None:
    x, y = data
    args = {"space": C_SPACE, **kwargs}
    with pytest.raises(ValueError, match=f"The '{name}' parameter of TunelabSearchCV must be"):
        TunelabSearchCV(_logreg(), cv=2, **args).fit(x, y)


def test_several_scorers_need_a_named_refit(data) -> None:
    x, y = data
    with pytest.raises(ValueError, match="refit"):
        TunelabSearchCV(_logreg(), C_SPACE, n_trials=1, cv=2, scoring=["accuracy", "f1"]).fit(x, y)


def test_a_branch_key_clashing_with_a_top_level_key_is_named(data) -> None:
    x, y = data
    space = {"penalty": {"_type": "choice", "_value": [{"_name": "l2", "C": {"_type": "uniform", "_value": [1, 2]}}]},
             "C": {"_type": "uniform", "_value": [1, 2]}}
    with pytest.raises(ValueError, match="parameter 'C' appears both"):
        TunelabSearchCV(_logreg(), space, n_trials=1, cv=2).fit(x, y)


def _checked_instances() -> list[TunelabSearchCV]:
    return [
        TunelabSearchCV(LogisticRegression(), C_SPACE, n_trials=2, cv=2, random_state=0),
        TunelabSearchCV(Ridge(), {"alpha": {"_type": "loguniform", "_value": [1e-3, 10]}}, n_trials=2, cv=2,
                        random_state=0),
    ]


def _expected_failed(estimator: TunelabSearchCV) -> dict[str, str]:
    """Checks sklearn's own RandomizedSearchCV fails too for the same inner estimator (measured with
    ``check_estimator(RandomizedSearchCV(Ridge(), ...), on_fail=None)`` on scikit-learn 1.9)."""
    if isinstance(estimator.estimator, Ridge):
        return {"check_supervised_y_2d": "a search delegates its tags to Ridge, which takes 2-d y as "
                                         "multi-output: no DataConversionWarning, as for RandomizedSearchCV"}
    return {}


@parametrize_with_checks(_checked_instances(), expected_failed_checks=_expected_failed)
def test_sklearn_estimator_checks(estimator, check) -> None:
    # As sklearn's own test_common runs these checks: warnings are not errors here (the NaN/inf checks make
    # every fold fail and score, which warns before the expected ValueError is raised).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        # FitFailedWarning, and numpy's cast warning when the y_no_nan check passes y=inf to check_cv
        warnings.simplefilter("ignore", RuntimeWarning)
        check(estimator)


# -- experiment=: recording into a tunelab experiment ------------------------------------------------------


def _recorded(exp_dir: Path) -> tuple[ExperimentRecord, list[Trial], dict[str, list[Metric]]]:
    store = open_store(exp_dir, exp_dir.name, readonly=True)
    try:
        trials = store.list_trials()
        metrics = {t.id: store.get_metrics(t.id, MetricKind.PERIODICAL) for t in trials}
        return store.get_experiment(), trials, metrics
    finally:
        store.close()


def test_experiment_records_every_trial_with_fold_scores(data, tmp_path) -> None:
    x, y = data
    exp_dir = tmp_path / "sk-rec1"
    search = TunelabSearchCV(_logreg(), C_SPACE, n_trials=4, cv=3, random_state=0, experiment=exp_dir).fit(x, y)
    record, trials, metrics = _recorded(exp_dir)
    assert record.status is ExperimentStatus.DONE
    assert optimize_mode(record.config) == "maximize"
    assert record.config["searchSpace"] == C_SPACE
    results = search.cv_results_
    assert [t.parameters for t in trials] == list(results["params"])  # a flat space: the same dicts
    for row, trial in enumerate(trials):
        assert trial.status is TrialState.SUCCEEDED
        assert trial.final == pytest.approx(results["mean_test_score"][row])
        assert [m.value for m in metrics[trial.id]] == pytest.approx(
            [results[f"split{k}_test_score"][row] for k in range(3)])
    session = open_session("sk-rec1", mode=Mode.VIEW, root=tmp_path)  # what `tunelab view sk-rec1` opens
    try:
        best = session.store.best_trial(maximize=True)
        assert best is not None
        assert best.sequence == search.best_index_
    finally:
        session.close()


def test_experiment_by_id_lands_in_tunelab_home_and_the_cli_reads_it(data, tmp_path, monkeypatch) -> None:
    x, y = data
    monkeypatch.setenv("TUNELAB_HOME", str(tmp_path))
    search = TunelabSearchCV(_logreg(), C_SPACE, n_trials=3, cv=2, random_state=0, experiment="sk-rec2").fit(x, y)
    done = subprocess.run([sys.executable, "-m", "tunelab.cli", "best", "sk-rec2", "--json"], check=False,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "TUNELAB_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["parameters"] == search.best_params_
    with pytest.raises(ConflictError, match="exists already"):
        TunelabSearchCV(_logreg(), C_SPACE, n_trials=1, cv=2, experiment="sk-rec2").fit(x, y)


@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.FitFailedWarning")
def test_experiment_records_failed_candidates_and_nested_parameters(data, tmp_path) -> None:
    x, y = data
    search = TunelabSearchCV(_FailsWhenAsked(), _grid(True), n_trials=4, cv=3, tuner="GridSearch",
                             experiment=tmp_path / "sk-rec3").fit(x, y)
    _, trials, metrics = _recorded(tmp_path / "sk-rec3")
    assert [t.status for t in trials] == [TrialState.FAILED] * 3 + [TrialState.SUCCEEDED]
    assert all(t.final is None and "failed" in t.message for t in trials[:3])
    assert trials[3].final == pytest.approx(search.best_score_)
    assert len(metrics[trials[3].id]) == 3


def test_experiment_of_a_search_that_raises_ends_in_error(data, tmp_path) -> None:
    x, y = _failing_setup(data)
    with pytest.raises(RuntimeError, match="always fails"):
        TunelabSearchCV(_FailsOnSomeFolds(), {"fail": {"_type": "choice", "_value": [True]}}, n_trials=1, cv=3,
                        error_score="raise", experiment=tmp_path / "sk-rec4").fit(x, y)
    record, trials, _ = _recorded(tmp_path / "sk-rec4")
    assert record.status is ExperimentStatus.ERROR
    assert "always fails" in (record.error or "")
    assert [t.status for t in trials] == [TrialState.FAILED]


def test_experiment_nested_choice_keeps_nni_parameters(data, tmp_path) -> None:
    x, y = data
    space = {"kernel": {"_type": "choice", "_value": [
        {"_name": "rbf", "gamma": {"_type": "loguniform", "_value": [1e-3, 1]}}, {"_name": "linear"}]}}
    TunelabSearchCV(SVC(), space, n_trials=3, cv=2, tuner="Random", random_state=0,
                    experiment=tmp_path / "sk-rec5").fit(x, y)
    _, trials, _ = _recorded(tmp_path / "sk-rec5")
    for trial in trials:
        assert trial.parameters["kernel"]["_name"] == trial.extra["estimator_params"]["kernel"]  # NNI's form kept


def test_experiment_location_errors_name_the_argument(data, tmp_path) -> None:
    x, y = data
    with pytest.raises(InvalidInputError, match=r"experiment=.*directory name becomes the experiment id"):
        TunelabSearchCV(_logreg(), C_SPACE, n_trials=1, cv=2, experiment=tmp_path / "bad name!").fit(x, y)
    assert not (tmp_path / "bad name!").exists()
