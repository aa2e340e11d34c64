"""Names of the environment variables tunelab reads or sets, in one place (stdlib only).

The trial side (``tunelab.trial_api``, the ``nni`` shim) and the manager side (the manager, the runners,
``tunelab try``) must agree on every name, and a trial process imports this module, so it holds constants
only. The NNI equivalents (``NNI_PLATFORM``, ``NNI_EXP_ID``...) are NNI's names and stay where they are set.
"""

from __future__ import annotations

EXPERIMENT_ID = "TUNELAB_EXPERIMENT_ID"
TRIAL_ID = "TUNELAB_TRIAL_ID"
SEQUENCE_ID = "TUNELAB_SEQUENCE_ID"
OUTPUT_DIR = "TUNELAB_OUTPUT_DIR"
#: The parameters as JSON, inline. Large parameter sets go to a file named by PARAMETER_FILE instead.
PARAMETERS = "TUNELAB_PARAMETERS"
PARAMETER_FILE = "TUNELAB_PARAMETER_FILE"
#: Where live metrics go: ``unix:@name`` (Linux abstract socket), ``unix:/path`` or empty (file only).
CHANNEL = "TUNELAB_CHANNEL"
#: The trial's secret for the live channel: the first line of each connection presents it (see
#: the runners' channel). Absent where the channel needs none (the Dask worker's own socket).
CHANNEL_KEY = "TUNELAB_CHANNEL_KEY"
#: File the trial appends every metric to (JSON lines). The manager reads it after the process ends and on
#: resume, so no metric is lost when the live channel is down.
METRICS_FILE = "TUNELAB_METRICS_FILE"
PLATFORM = "TUNELAB_PLATFORM"
#: The keys a final result must hold, as a JSON list, the primary objective first (set only when the
#: experiment declares ``objectives``); intermediate dicts are read by the primary key.
OBJECTIVES = "TUNELAB_OBJECTIVES"
#: Where the trial may write TensorBoard event files: ``<trial dir>/tensorboard``, which is also NNI's
#: convention (``$NNI_OUTPUT_DIR/tensorboard``). ``tunelab tensorboard`` serves these folders.
TENSORBOARD_DIR = "TUNELAB_TENSORBOARD_DIR"
TENSORBOARD_DIR_NAME = "tensorboard"

INLINE_PARAMETERS_MAX = 64 * 1024
METRICS_FILE_NAME = ".tunelab-metrics.jsonl"

# -- the user's and the manager's own settings -------------------------------------------------------------
#: Where experiments live when the config names no working directory (default ``~/tunelab-experiments``).
HOME = "TUNELAB_HOME"
#: The umask (octal) applied before anything is written; the default keeps experiments private to the user.
UMASK = "TUNELAB_UMASK"
#: Set in a detached manager process to the experiment it serves (read by diagnostics and tests).
MANAGER_EXPERIMENT = "TUNELAB_MANAGER_EXPERIMENT"
