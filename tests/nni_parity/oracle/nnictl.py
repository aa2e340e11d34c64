"""Run the real ``nnictl`` (in the ``.venv-nni`` interpreter) with two test-only adjustments.

* NNI's launcher polls its manager for ~3 s before giving up; on a loaded CI machine the manager needs
  longer, so the poll is given 60 tries.
* NNI's manager listens on every interface and gives the tuner process 10 s to connect;
  ``nni_manager_preload.js`` (preloaded through NODE_OPTIONS) makes it listen on 127.0.0.1 only and
  gives the tuner two minutes.

Usage: python nnictl.py <nnictl arguments...>
"""

import os
import sys
from pathlib import Path

import nni.experiment.launcher as launcher

_check = launcher._check_rest_server


def _patient_check(port, retry=3, url_prefix=None):
    return _check(port, max(retry, 60), url_prefix)


launcher._check_rest_server = _patient_check
os.environ["NODE_OPTIONS"] = f"--require {Path(__file__).with_name('nni_manager_preload.js')}"

from nni.tools.nnictl.nnictl import parse_args  # noqa: E402

sys.argv = ["nnictl", *sys.argv[1:]]
parse_args()
