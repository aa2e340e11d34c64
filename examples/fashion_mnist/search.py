"""2a. The search: NNI's Experiment API exactly as in the tutorial; only the import line changed
(``from nni.experiment import Experiment``). Open http://localhost:8080/ while it runs."""

import os

from tunelab.experiment import Experiment

search_space = {
    "batch_size": {"_type": "choice", "_value": [16, 32, 64, 128]},
    "hidden_size1": {"_type": "choice", "_value": [16, 32, 64, 128, 256, 512]},
    "hidden_size2": {"_type": "choice", "_value": [16, 32, 64, 128, 256, 512]},
    "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]},
    "momentum": {"_type": "uniform", "_value": [0, 1]},
}

experiment = Experiment("local")
experiment.config.trial_command = "python3 mnist_nni.py"
experiment.config.trial_code_directory = os.path.dirname(os.path.abspath(__file__))
experiment.config.search_space = search_space
experiment.config.tuner.name = "TPE"
experiment.config.tuner.class_args["optimize_mode"] = "maximize"
experiment.config.max_trial_number = int(os.environ.get("SEARCH_TRIALS", "20"))  # TPE warms up on ~20
experiment.config.trial_concurrency = int(os.environ.get("SEARCH_CONCURRENCY", "2"))
experiment.config.trial_gpu_number = 0

experiment.run(int(os.environ.get("SEARCH_PORT", "8080")))
best = max(experiment.export_data(), key=lambda result: result.value)
print("best parameters:", best.parameter, "accuracy:", best.value)
