"""XGBoost: ``xgb.train(..., evals=[(dvalid, "valid")], callbacks=[TunelabCallback("valid", "rmse")])``.

With the scikit-learn wrapper the eval sets are named ``validation_0``, ``validation_1``... Needs
``pip install 'tunelab[xgboost]'``.
"""

from __future__ import annotations

from typing import Any

from xgboost.callback import TrainingCallback

from tunelab.integration._common import MetricReporter, missing_metric


class TunelabCallback(TrainingCallback):
    """Reports ``metric`` on eval set ``data`` after each boosting round; stops boosting on request.

    ``mode`` (for ``final="best"``) defaults to "min": most XGBoost metrics are losses.
    """

    def __init__(self, data: str, metric: str, *, final: str = "last", mode: str = "min") -> None:
        super().__init__()
        self.data = data
        self.reporter = MetricReporter(metric, final=final, mode=mode)

    def after_iteration(self, model: Any, epoch: int, evals_log: dict[str, dict[str, Any]]) -> bool:
        per_data = evals_log.get(self.data)
        if per_data is None:
            raise missing_metric(self.data, evals_log)
        values = per_data.get(self.reporter.monitor)
        if not values:
            raise missing_metric(self.reporter.monitor, per_data)
        last = values[-1]
        self.reporter.report(last[0] if isinstance(last, tuple) else last)  # (mean, std) under xgb.cv
        return self.reporter.stop_requested()  # True ends training after this round

    def after_training(self, model: Any) -> Any:
        self.reporter.report_final()
        return model
