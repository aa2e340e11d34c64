"""The two test-only adjustments made to the real NNI 3.0 before it starts an experiment (nnictl or the
Python ``Experiment`` API), nothing else of NNI changed:

* NNI's launcher polls its manager for ~3 s before giving up; on a loaded CI machine the manager needs
  longer, so the poll is given 60 tries.
* NNI's manager listens on every interface and gives the tuner process 10 s to connect;
  ``nni_manager_preload.js`` (preloaded through NODE_OPTIONS) makes it listen on 127.0.0.1 only and
  gives the tuner two minutes.
"""

import os
from pathlib import Path


def apply():
    import nni.experiment.launcher as launcher

    check = launcher._check_rest_server

    def patient_check(port, retry=3, url_prefix=None):
        return check(port, max(retry, 60), url_prefix)

    launcher._check_rest_server = patient_check
    os.environ["NODE_OPTIONS"] = f"--require {Path(__file__).with_name('nni_manager_preload.js')}"
