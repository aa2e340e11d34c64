"""Runs inside the NNI 3.0 venv: ``python _nni_worker.py TPE|Anneal PROBLEM SEED N`` prints the values."""

from __future__ import annotations

import json
import logging
import random
import sys

import numpy as np
from _functions import PROBLEMS


def main() -> None:
    algorithm, problem, seed, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    logging.disable(logging.CRITICAL)
    spec = PROBLEMS[problem]
    random.seed(seed)
    np.random.seed(seed)
    if algorithm == "TPE":
        from nni.algorithms.hpo.tpe_tuner import TpeTuner

        tuner = TpeTuner(optimize_mode="minimize", seed=seed)
    else:
        from nni.algorithms.hpo.hyperopt_tuner import HyperoptTuner

        tuner = HyperoptTuner("anneal", optimize_mode="minimize")
    tuner.update_search_space(spec.space)
    values = []
    for i in range(n):
        params = tuner.generate_parameters(i)
        value = spec.objective(params)
        tuner.receive_trial_result(i, params, value)
        values.append(value)
    print(json.dumps(values))


if __name__ == "__main__":
    main()
