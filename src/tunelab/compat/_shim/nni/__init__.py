"""The ``nni`` module that tunelab trials see when the real NNI is not installed.

The manager puts this package's directory first on the trial's ``PYTHONPATH`` (never in site-packages).
On import it looks for a real ``nni`` further down ``sys.path``:

* found (NNI 3.0 installed in the trial's environment): that package is loaded in this one's place, and
  its SDK talks to tunelab through the channel plug-in named by ``NNI_TRIAL_COMMAND_CHANNEL``. NNI's habit
  of redirecting ``print()`` into ``trial.log`` (NNI issue #3141) is undone: output stays in ``stdout``.
* not found: the NNI trial API below, delegating to ``tunelab.trial_api`` with NNI's semantics (ids,
  ``STANDALONE`` outside an experiment, metric rules, ``get_current_parameter``, ``get_sequence_id``).

``TUNELAB_NNI_SHIM=1`` forces the shim even when the real package is installed.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from typing import Any

_SHIM_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _real_nni_spec() -> ModuleSpec | None:
    if os.environ.get("TUNELAB_NNI_SHIM", "") not in ("", "0"):
        return None
    from importlib.machinery import PathFinder

    path = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _SHIM_ROOT]
    spec = PathFinder.find_spec(__name__, path)
    if spec is None or spec.loader is None:
        # A namespace portion (a plain `nni/` folder beside the trial, no __init__.py) is not NNI.
        return None
    return spec


def _load_real_nni(spec: ModuleSpec) -> None:
    """Execute the real package under the name ``nni``; the import system then hands it to the importer
    (it returns ``sys.modules['nni']``, not this module)."""
    import importlib.util

    if spec.loader is None:
        raise ImportError(f"real nni package at {spec.origin} has no loader")
    saved_stdout = sys.stdout
    module = importlib.util.module_from_spec(spec)
    sys.modules[__name__] = module  # the import system removes it again if exec fails
    try:
        spec.loader.exec_module(module)
    finally:
        if type(sys.stdout).__name__ == "_LogFileWrapper":
            sys.stdout = saved_stdout


_real_spec = _real_nni_spec()
if _real_spec is not None:
    _load_real_nni(_real_spec)
else:
    import tunelab_nni_bridge as _bridge

    _api = _bridge.trial_api()
    from nni.trial import (
        NoMoreTrialError,
        dump,
        enable_global_logging,
        get_current_parameter,
        get_experiment_id,
        get_next_parameter,
        get_next_parameters,
        get_sequence_id,
        get_trial_id,
        load,
        overwrite_intermediate_seq,
        report_final_result,
        report_intermediate_result,
        silence_stdout,
        trace,
    )
    from nni.utils import ClassArgsValidator

    __version__ = "3.0"

    def __getattr__(name: str) -> Any:
        # Objects of the experiment side that user code sometimes imports from `nni` inside a trial.
        if name in ("Experiment", "ExperimentConfig", "AlgorithmConfig", "CustomAlgorithmConfig", "LocalConfig"):
            import tunelab

            return getattr(tunelab, name)
        raise AttributeError(f"module 'nni' (tunelab's shim) has no attribute {name!r}")

    __all__ = [
        "ClassArgsValidator",
        "NoMoreTrialError",
        "__version__",
        "dump",
        "enable_global_logging",
        "get_current_parameter",
        "get_experiment_id",
        "get_next_parameter",
        "get_next_parameters",
        "get_sequence_id",
        "get_trial_id",
        "load",
        "overwrite_intermediate_seq",
        "report_final_result",
        "report_intermediate_result",
        "silence_stdout",
        "trace",
    ]
