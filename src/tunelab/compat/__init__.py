"""NNI compatibility: the ``nni`` module trials see, NNI data import/export helpers.

Importing this package is cheap (the manager imports it to build trial environments); the data helpers
load their dependencies on use.
"""

from tunelab.compat._env import CHANNEL_URL, SHIM_DIR, trial_environment

__all__ = ["CHANNEL_URL", "SHIM_DIR", "trial_environment"]
