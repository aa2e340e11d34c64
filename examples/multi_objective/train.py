"""Accuracy against model size and speed: the digits MLP of `tunelab demo`, with two objectives.

The trial reports a dict. The experiment (config.yml) names two of its keys as objectives, maximise
`accuracy` and minimise `params` (the weight count, a stand-in for memory and latency), and bounds a third,
`latency_ms` (inference time for a batch of 256 images). Each epoch's accuracy is an intermediate result, so an assessor
can stop poor trials early: it judges the primary objective's curve (accuracy, listed first).
"""

from __future__ import annotations

import os
import time
import warnings

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # trials share the cores: one BLAS thread each

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

import tunelab  # noqa: E402

DEFAULTS = {"hidden_size": 64, "layers": 1, "lr": 0.01, "alpha": 1e-4}
EPOCHS = int(os.environ.get("DIGITS_EPOCHS", "5"))


def main() -> None:
    params = {**DEFAULTS, **tunelab.get_next_parameter()}
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    model = MLPClassifier(
        hidden_layer_sizes=(int(params["hidden_size"]),) * int(params["layers"]),
        learning_rate_init=float(params["lr"]),
        alpha=float(params["alpha"]),
        random_state=0,
    )
    classes = np.unique(y)
    accuracy = 0.0
    for _ in range(EPOCHS):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.partial_fit(x_train, y_train, classes=classes)
        accuracy = float(model.score(x_test, y_test))
        tunelab.report_intermediate_result(accuracy)
    n_params = sum(w.size + b.size for w, b in zip(model.coefs_, model.intercepts_, strict=True))
    batch = np.resize(x_test, (256, x_test.shape[1]))
    start = time.perf_counter()
    for _ in range(5):
        model.predict(batch)
    latency_ms = (time.perf_counter() - start) / 5 * 1000
    tunelab.report_final_result({"accuracy": accuracy, "params": int(n_params), "latency_ms": latency_ms})
    print(f"accuracy {accuracy:.4f}, {n_params} weights, {latency_ms:.2f} ms per batch, with {params}")


if __name__ == "__main__":
    main()
