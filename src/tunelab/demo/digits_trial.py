"""Demo trial: a two-hidden-layer MLP on scikit-learn's digits, trained with SGD + momentum.

The seed tutorial's Fashion-MNIST script, shrunk to data that ships with scikit-learn so the demo needs no
download. Reports test accuracy after every epoch and at the end, through the three tunelab calls.
"""

from __future__ import annotations

import os
import warnings

# Two trials share two cores: one BLAS thread each avoids oversubscription (set before numpy loads).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import tunelab  # noqa: E402 - after the thread settings above

DEFAULTS = {"batch_size": 32, "hidden_size1": 128, "hidden_size2": 128, "lr": 0.001, "momentum": 0.5}
EPOCHS = 5


def main() -> None:
    params = dict(DEFAULTS)
    params.update(tunelab.get_next_parameter())

    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)  # float32 halves the cost of the 1024-wide layers
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    model = MLPClassifier(
        hidden_layer_sizes=(int(params["hidden_size1"]), int(params["hidden_size2"])),
        solver="sgd",
        batch_size=int(params["batch_size"]),
        learning_rate_init=float(params["lr"]),
        momentum=float(params["momentum"]),
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
    tunelab.report_final_result(accuracy)
    print(f"accuracy {accuracy:.4f} with {params}")


if __name__ == "__main__":
    main()
