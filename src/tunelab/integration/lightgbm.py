"""LightGBM: ``lgb.train(..., valid_sets=[dvalid], valid_names=["valid"], callbacks=[TunelabCallback("valid", "l2")])``.

With the scikit-learn wrapper the eval set is named ``valid_0``. Needs ``pip install 'tunelab[lightgbm]'``.
"""

from __future__ import annotations

from typing import Any

from lightgbm.callback import CallbackEnv, EarlyStopException

from tunelab.integration._common import MetricReporter, missing_metric


class TunelabCallback:
    """Reports ``metric`` on eval set ``data`` after each boosting round; stops boosting on request.

    LightGBM has no end-of-training hook, so the final result is reported after the last round or when
    stopping. ``mode`` (for ``final="best"``) defaults to "min": most LightGBM metrics are losses.
    """

    order = 30  # LightGBM runs callbacks sorted by order; its own early stopping also uses 30

    def __init__(self, data: str, metric: str, *, final: str = "last", mode: str = "min") -> None:
        self.data = data
        self.reporter = MetricReporter(metric, final=final, mode=mode)

    def __call__(self, env: CallbackEnv) -> None:
        results: list[Any] = list(env.evaluation_result_list or [])
        for entry in results:
            if entry[0] == self.data and entry[1] == self.reporter.monitor:
                self.reporter.report(entry[2])
                break
        else:
            raise missing_metric(f"{self.data} {self.reporter.monitor}",
                                 [f"{entry[0]} {entry[1]}" for entry in results])
        stopping = self.reporter.stop_requested()
        if stopping or env.iteration + 1 >= env.end_iteration:
            self.reporter.report_final()
        if stopping:
            # LightGBM's own way to end training early: the booster keeps the rounds done so far.
            raise EarlyStopException(env.iteration, results)
