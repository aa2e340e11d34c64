"""Lightning, Keras (torch backend) and Transformers callbacks with the real frameworks on tiny models."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest


# Lightning 2.6 still uses a torch.utils._pytree API that torch 2.13 deprecates.
@pytest.mark.filterwarnings("ignore:.*LeafSpec.*:FutureWarning")
def test_lightning_reports_each_validation_epoch_and_stops_cleanly_with_a_checkpoint(trial, tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="torch==2.13.0 is not installed")
    pl = pytest.importorskip("lightning.pytorch", reason="lightning is not installed (pip install 'tunelab[lightning]')")
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from tunelab.integration.lightning import TunelabCallback

    class Tiny(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(2, 1)

        def training_step(self, batch, batch_idx):
            x, y = batch
            return torch.nn.functional.mse_loss(self.layer(x), y)

        def validation_step(self, batch, batch_idx):
            x, y = batch
            self.log("val_loss", torch.nn.functional.mse_loss(self.layer(x), y))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    class ManagerStops(pl.Callback):  # the assessor's decision after the second epoch: SIGTERM
        def on_validation_epoch_end(self, trainer, pl_module) -> None:
            if not trainer.sanity_checking:
                trial.stop_after(2)

    torch.manual_seed(0)
    x = torch.randn(32, 2)
    loader = DataLoader(TensorDataset(x, x.sum(1, keepdim=True)), batch_size=16)
    checkpoints = pl.callbacks.ModelCheckpoint(dirpath=tmp_path / "ckpt", save_last=True)
    trainer = pl.Trainer(max_epochs=20, callbacks=[TunelabCallback("val_loss", final="best", mode="min"),
                                                   ManagerStops(), checkpoints],
                         logger=False, enable_progress_bar=False, enable_model_summary=False,
                         accelerator="cpu", default_root_dir=tmp_path)
    trainer.fit(Tiny(), loader, loader)
    # The stop came with the second validation; ours saw it at that epoch's end and fit returned.
    assert trainer.current_epoch == 2
    values = trial.intermediates()
    assert len(values) == 2
    assert trial.finals() == [min(values)]
    assert (tmp_path / "ckpt" / "last.ckpt").is_file()


def test_keras_reports_each_epoch_and_stops_training(trial, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch", reason="torch==2.13.0 is not installed")
    if "keras" not in sys.modules:
        monkeypatch.setenv("KERAS_BACKEND", "torch")  # no TensorFlow here; Keras 3 runs on PyTorch
    keras = pytest.importorskip("keras", reason="keras is not installed (pip install 'tunelab[keras]')")
    if keras.backend.backend() != "torch":
        pytest.skip(f"keras was already imported with the {keras.backend.backend()} backend")
    import numpy as np

    from tunelab.integration.keras import TunelabCallback

    class ManagerStops(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None) -> None:
            trial.stop_after(2)

    x = np.random.default_rng(0).normal(size=(32, 2)).astype("float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, x.sum(1), validation_data=(x, x.sum(1)), epochs=20, verbose=0,
                        callbacks=[TunelabCallback("val_loss", mode="min"), ManagerStops()])
    assert len(history.history["val_loss"]) == 3
    assert trial.intermediates() == pytest.approx([float(v) for v in history.history["val_loss"]])
    assert trial.finals() == [trial.intermediates()[-1]]


def test_transformers_reports_each_evaluation_and_stops_training(trial, tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="torch==2.13.0 is not installed")
    transformers = pytest.importorskip("transformers",
                                       reason="transformers is not installed (pip install 'tunelab[transformers]')")
    import torch

    from tunelab.integration.transformers import TunelabCallback

    class ManagerStops(transformers.TrainerCallback):
        def on_evaluate(self, args, state, control, **kwargs) -> None:
            trial.stop_after(2)

    config = transformers.BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=1,
                                     intermediate_size=8, max_position_embeddings=8, num_labels=2)
    model = transformers.BertForSequenceClassification(config)  # built from the config: no download
    torch.manual_seed(0)
    rows = [{"input_ids": torch.randint(0, 20, (6,)), "labels": torch.tensor(i % 2)} for i in range(8)]
    args = transformers.TrainingArguments(output_dir=str(tmp_path), num_train_epochs=20, eval_strategy="epoch",
                                          save_strategy="no", per_device_train_batch_size=4, report_to=[],
                                          use_cpu=True, disable_tqdm=True, logging_strategy="no")
    trainer = transformers.Trainer(model=model, args=args, train_dataset=rows, eval_dataset=rows,
                                   callbacks=[TunelabCallback("eval_loss"), ManagerStops()])
    trainer.train()
    # Stop after the second evaluation: the next step (step 5, two per epoch) is the last, then the
    # Trainer's closing evaluation is reported too.
    assert trainer.state.global_step == 5
    assert len(trial.intermediates()) == 3
    assert trial.finals() == [trial.intermediates()[-1]]
