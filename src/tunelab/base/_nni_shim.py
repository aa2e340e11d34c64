"""What the manager adds to a trial's environment so that code written for NNI runs unchanged.

It lives in ``base`` (not beside the shim in ``tunelab.compat``) because the lowest layers need it: the
manager builds every trial's environment with it, and loading a user's tuner or assessor class puts the
shim on ``sys.path``. It only names a directory; nothing here imports the shim.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

#: The directory holding the ``nni`` shim package and the ``tunelab_nni_bridge`` channel plug-in.
SHIM_DIR = Path(__file__).resolve().parent.parent / "compat" / "_shim"
CHANNEL_URL = "import://tunelab_nni_bridge.TunelabTrialCommandChannel"


def trial_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment additions for a trial process: ``PYTHONPATH`` with the shim directory first (the user's
    own entries kept after it) and ``NNI_TRIAL_COMMAND_CHANNEL`` naming tunelab's channel plug-in, which the
    real NNI 3.0 SDK loads when it is installed in the trial's environment.

    ``base`` is the environment the trial inherits (default: this process's).
    """
    environ = os.environ if base is None else base
    existing = [entry for entry in environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    shim = str(SHIM_DIR)
    entries = [shim, *(entry for entry in existing if entry != shim)]
    return {"PYTHONPATH": os.pathsep.join(entries), "NNI_TRIAL_COMMAND_CHANNEL": CHANNEL_URL}
