"""XGBoost and LightGBM callbacks with the real libraries: per-round reports, final, and the clean stop."""

from __future__ import annotations

import numpy as np
import pytest


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4))
    return x, x[:, 0] * 2 + rng.normal(scale=0.1, size=200)


def test_xgboost_reports_each_round_and_stops_on_request(trial) -> None:
    xgb = pytest.importorskip("xgboost", reason="xgboost is not installed (pip install 'tunelab[xgboost]')")
    from tunelab.integration.xgboost import TunelabCallback

    class StopAtThree(xgb.callback.TrainingCallback):  # runs before ours: the manager's SIGTERM
        def after_iteration(self, model, epoch, evals_log) -> bool:
            if epoch == 2:
                trial.stop_now()
            return False

    x, y = _data()
    dtrain = xgb.DMatrix(x, label=y)
    booster = xgb.train({"max_depth": 2, "nthread": 1}, dtrain, num_boost_round=50,
                        evals=[(dtrain, "valid")], callbacks=[StopAtThree(), TunelabCallback("valid", "rmse")],
                        verbose_eval=False)
    assert booster.num_boosted_rounds() == 3
    values = trial.intermediates()
    assert len(values) == 3
    assert values == sorted(values, reverse=True)  # rmse falls
    assert trial.finals() == [values[-1]]


def test_xgboost_names_a_missing_eval_set(trial) -> None:
    xgb = pytest.importorskip("xgboost", reason="xgboost is not installed (pip install 'tunelab[xgboost]')")
    from tunelab.base import InvalidInputError
    from tunelab.integration.xgboost import TunelabCallback

    x, y = _data()
    dtrain = xgb.DMatrix(x, label=y)
    with pytest.raises(InvalidInputError, match=r"'valid'.*train"):
        xgb.train({"nthread": 1}, dtrain, num_boost_round=2, evals=[(dtrain, "train")],
                  callbacks=[TunelabCallback("valid", "rmse")], verbose_eval=False)


def test_lightgbm_reports_each_round_and_stops_on_request(trial) -> None:
    lgb = pytest.importorskip("lightgbm", reason="lightgbm is not installed (pip install 'tunelab[lightgbm]')")
    from tunelab.integration.lightgbm import TunelabCallback

    def stop_at_three(env) -> None:
        if env.iteration == 2:
            trial.stop_now()

    # Runs before round three is boosted, so ours sees the stop right after that round.
    stop_at_three.before_iteration = True  # type: ignore[attr-defined]
    stop_at_three.order = 0  # type: ignore[attr-defined]
    x, y = _data()
    dtrain = lgb.Dataset(x, label=y)
    booster = lgb.train({"objective": "regression", "num_threads": 1, "verbose": -1, "metric": "l2"}, dtrain,
                        num_boost_round=50, valid_sets=[dtrain], valid_names=["valid"],
                        callbacks=[stop_at_three, TunelabCallback("valid", "l2", final="best")])
    values = trial.intermediates()
    assert (booster.current_iteration(), len(values)) == (3, 3)
    assert trial.finals() == [min(values)]


def test_lightgbm_reports_the_final_after_the_last_round(trial) -> None:
    lgb = pytest.importorskip("lightgbm", reason="lightgbm is not installed (pip install 'tunelab[lightgbm]')")
    from tunelab.integration.lightgbm import TunelabCallback

    x, y = _data()
    dtrain = lgb.Dataset(x, label=y)
    lgb.train({"objective": "regression", "num_threads": 1, "verbose": -1, "metric": "l2"}, dtrain,
              num_boost_round=4, valid_sets=[dtrain], valid_names=["valid"],
              callbacks=[TunelabCallback("valid", "l2")])
    assert len(trial.intermediates()) == 4
    assert trial.finals() == [trial.intermediates()[-1]]
