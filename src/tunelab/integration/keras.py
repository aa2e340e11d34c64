"""Keras 3: ``model.fit(..., callbacks=[TunelabCallback(monitor="val_accuracy")])``.

Needs ``pip install 'tunelab[keras]'`` and a backend (TensorFlow, JAX, or PyTorch with KERAS_BACKEND=torch).
"""

from __future__ import annotations

from typing import Any

import keras

from tunelab.integration._common import MetricReporter, missing_metric


class TunelabCallback(keras.callbacks.Callback):
    """Reports ``monitor`` from each epoch's logs and the last (or best) value when ``fit`` ends.

    When the manager stops the trial it sets ``model.stop_training``, so ``fit`` returns after the epoch
    (your ``ModelCheckpoint`` and code after ``fit`` still run).
    """

    def __init__(self, monitor: str = "val_accuracy", *, final: str = "last", mode: str = "max") -> None:
        super().__init__()
        self.reporter = MetricReporter(monitor, final=final, mode=mode)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        if self.reporter.monitor not in logs:
            raise missing_metric(self.reporter.monitor, logs)
        self.reporter.report(logs[self.reporter.monitor])
        if self.reporter.stop_requested():
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.reporter.report_final()
