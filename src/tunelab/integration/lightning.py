"""PyTorch Lightning: ``Trainer(callbacks=[TunelabCallback(monitor="val_acc")])``.

Needs ``pip install 'tunelab[lightning]'``.
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch import Callback, LightningModule, Trainer

from tunelab.integration._common import MetricReporter, missing_metric
from tunelab.trial_api import claim_sigterm


class TunelabCallback(Callback):
    """Reports ``monitor`` after each validation epoch and the last (or best) value when fitting ends.

    When the manager stops the trial it sets ``trainer.should_stop``, so Lightning ends the epoch, runs
    its checkpoint callbacks and returns from ``fit`` normally instead of being killed mid-step.
    """

    def __init__(self, monitor: str = "val_acc", *, final: str = "last", mode: str = "max") -> None:
        super().__init__()
        self.reporter = MetricReporter(monitor, final=final, mode=mode)

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        # Lightning installed its SIGTERM handler just before this hook; it raises SIGTERMException at the
        # next step, which is the mid-step death this callback exists to avoid. Lightning restores the
        # handlers that were there before fit when it tears down.
        claim_sigterm()

    def on_validation_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.sanity_checking:  # the two warm-up batches are not an epoch
            return
        metrics: dict[str, Any] = dict(trainer.callback_metrics)
        if self.reporter.monitor not in metrics:
            raise missing_metric(self.reporter.monitor, metrics)
        self.reporter.report(metrics[self.reporter.monitor])
        if self.reporter.stop_requested():
            trainer.should_stop = True

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.reporter.stop_requested():  # also between epochs with no validation run
            trainer.should_stop = True

    def on_fit_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.reporter.report_final()
