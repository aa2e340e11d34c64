"""Hugging Face Transformers: ``Trainer(..., callbacks=[TunelabCallback(monitor="eval_loss", mode="min")])``.

Needs ``pip install 'tunelab[transformers]'``. The metric is read from each evaluation's metrics, so set
an evaluation strategy (``eval_strategy="epoch"``) in ``TrainingArguments``.
"""

from __future__ import annotations

from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from tunelab.integration._common import MetricReporter, missing_metric


class TunelabCallback(TrainerCallback):
    """Reports ``monitor`` after each evaluation and the last (or best) value when training ends.

    When the manager stops the trial it sets ``control.should_training_stop``; the Trainer then ends the
    loop after the current step and still saves per its ``save_strategy``.
    """

    def __init__(self, monitor: str = "eval_loss", *, final: str = "last", mode: str = "min") -> None:
        self.reporter = MetricReporter(monitor, final=final, mode=mode)

    def on_evaluate(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                    metrics: dict[str, float] | None = None, **kwargs: Any) -> None:
        metrics = metrics or {}
        if self.reporter.monitor not in metrics:
            raise missing_metric(self.reporter.monitor, metrics)
        self.reporter.report(metrics[self.reporter.monitor])
        self._stop_if_asked(control)

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                    **kwargs: Any) -> None:
        self._stop_if_asked(control)

    def on_train_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                     **kwargs: Any) -> None:
        self.reporter.report_final()

    def _stop_if_asked(self, control: TrainerControl) -> None:
        if self.reporter.stop_requested():
            control.should_training_stop = True
