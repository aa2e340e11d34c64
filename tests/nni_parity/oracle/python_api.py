"""Make a real NNI 3.0 experiment through NNI's Python ``Experiment`` API (with the adjustments of
``_patches.py``), export it with nnictl while it still runs, as a user would, then stop it.

Usage: python python_api.py CODE_DIR WORKING_DIR PORT EXPORT_PREFIX; prints one line "RESULT <json>" (id, statuses) among NNI's own log lines.
"""

import json
import subprocess
import sys
from pathlib import Path

from _patches import apply

apply()

from nni.experiment import Experiment  # noqa: E402

code, working, port, prefix = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
experiment = Experiment("local")
config = experiment.config
config.experiment_name = "api-parity"
config.trial_command = f"{sys.executable} trial.py"
config.trial_code_directory = str(code)
config.search_space = json.loads((code / "search_space.json").read_text())
config.tuner.name = "Random"
config.assessor.name = "Medianstop"
config.assessor.class_args = {"optimize_mode": "maximize", "start_step": 2}
config.max_trial_number = 3
config.trial_concurrency = 1
config.experiment_working_directory = working
try:
    experiment.run(port)
    for kind in ("json", "csv"):
        subprocess.run([sys.executable, str(Path(__file__).with_name("nnictl.py")), "experiment", "export",
                        experiment.id, "--type", kind, "--filename", f"{prefix}.{kind}", "--intermediate"],
                       check=True, capture_output=True)
    statuses = {job.sequenceId: job.status for job in experiment.list_trial_jobs()}
    print("RESULT " + json.dumps({"id": experiment.id, "statuses": statuses}), flush=True)
finally:
    experiment.stop()
