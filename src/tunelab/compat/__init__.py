"""NNI compatibility: the ``nni`` module trials see, and NNI data import/export helpers.

``trial_environment()`` is what the manager adds to every trial's environment. The data helpers read NNI
experiment directories (``db/nni.sqlite`` + trial folders) and NNI's result files (JSON/CSV).
"""

# Where the shim lives and what a trial's environment gets: in base, which the manager and the tuners' class
# loader import; re-exported here, where NNI compatibility is looked for.
from tunelab.base import NNI_CHANNEL_URL as CHANNEL_URL
from tunelab.base import NNI_SHIM_DIR as SHIM_DIR
from tunelab.base import trial_environment
from tunelab.compat._archive import load_experiment, save_experiment
from tunelab.compat._nni_dir import NniExperiment, NniMetric, NniTrial, decode_metric, read_nni_experiment
from tunelab.compat._nni_import import ImportSummary, import_nni_experiment
from tunelab.compat._results import (
    ResultRecord,
    add_imported_results,
    load_results,
    parse_results_csv,
    parse_results_json,
)

__all__ = [
    "CHANNEL_URL",
    "SHIM_DIR",
    "ImportSummary",
    "NniExperiment",
    "NniMetric",
    "NniTrial",
    "ResultRecord",
    "add_imported_results",
    "decode_metric",
    "import_nni_experiment",
    "load_experiment",
    "load_results",
    "parse_results_csv",
    "parse_results_json",
    "read_nni_experiment",
    "save_experiment",
    "trial_environment",
]
