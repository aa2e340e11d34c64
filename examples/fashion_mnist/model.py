"""The tutorial's network and loops (from PyTorch's quickstart, sized by the tuned hyperparameters)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from typing import Any

import fashion_data
import torch
from torch import nn

DEFAULT_PARAMS = {"batch_size": 32, "hidden_size1": 128, "hidden_size2": 128, "lr": 0.001, "momentum": 0.5}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=None, help="directory of the Fashion-MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=int(os.environ.get("FASHION_MNIST_EPOCHS", "10")))
    return parser.parse_args()


class Net(nn.Module):
    def __init__(self, hidden_size1: int, hidden_size2: int) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.layers = nn.Sequential(
            nn.Linear(28 * 28, hidden_size1), nn.ReLU(),
            nn.Linear(hidden_size1, hidden_size2), nn.ReLU(),
            nn.Linear(hidden_size2, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(self.flatten(x))


def batches(images: torch.Tensor, labels: torch.Tensor, batch_size: int, shuffle: bool,
            generator: torch.Generator | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    order = torch.randperm(len(images), generator=generator) if shuffle else torch.arange(len(images))
    for start in range(0, len(images), batch_size):
        index = order[start : start + batch_size]
        yield images[index], labels[index]


class Training:
    """Data, model and optimizer for one set of hyperparameters."""

    def __init__(self, params: dict[str, Any], data_dir: str | None) -> None:
        torch.manual_seed(0)
        arrays = fashion_data.load(data_dir)
        self.train = (torch.from_numpy(arrays["train_images"]), torch.from_numpy(arrays["train_labels"]))
        self.test = (torch.from_numpy(arrays["test_images"]), torch.from_numpy(arrays["test_labels"]))
        self.batch_size = int(params["batch_size"])
        self.model = Net(int(params["hidden_size1"]), int(params["hidden_size2"]))
        self.loss_fn = nn.CrossEntropyLoss()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=float(params["lr"]),
                                         momentum=float(params["momentum"]))
        self.generator = torch.Generator().manual_seed(0)

    def train_epoch(self) -> None:
        self.model.train()
        for x, y in batches(*self.train, self.batch_size, shuffle=True, generator=self.generator):
            loss = self.loss_fn(self.model(x), y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def evaluate(self) -> tuple[float, float]:
        """(accuracy in [0, 1], mean loss) on the test set."""
        self.model.eval()
        correct, total_loss = 0, 0.0
        with torch.no_grad():
            for x, y in batches(*self.test, 256, shuffle=False):
                pred = self.model(x)
                total_loss += float(self.loss_fn(pred, y)) * len(x)
                correct += int((pred.argmax(1) == y).sum())
        n = len(self.test[0])
        return correct / n, total_loss / n
