"""The trial SDK outside an experiment (standalone) and its metric serialisation: the real NNI 3.0 and
tunelab's shim run the same script; their answers must be equal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tunelab.compat import trial_environment

SCRIPT = r'''
import json, nni
out = {"params": nni.get_next_parameter(), "current": nni.get_current_parameter(),
       "ids": [nni.get_trial_id(), nni.get_experiment_id(), nni.get_sequence_id()]}
nni.report_intermediate_result(0.5)
nni.report_final_result({"default": 0.75, "loss": 1})
out["dump"] = [nni.dump(v) for v in (0.5, 3, {"default": 0.75, "loss": 1}, [1, 2.5], "s")]
out["load"] = nni.load(nni.dump({"a": [1, {"b": 2}]}))
print("RESULT " + json.dumps(out))
'''


def _run(python: str, tmp_path: Path, shim: bool) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNELAB_", "NNI_", "PYTHONPATH"))}
    if shim:
        env.update(trial_environment(env))
        env["TUNELAB_NNI_SHIM"] = "1"
    result = subprocess.run([python, "-c", SCRIPT], env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT "):]), result.stdout


def test_standalone_sdk_matches_real_nni(tmp_path: Path, nni_python: str) -> None:
    real, real_stdout = _run(nni_python, tmp_path, shim=False)
    ours, our_stdout = _run(sys.executable, tmp_path, shim=True)
    assert ours == real
    # NNI prints the reported results in standalone mode; so does the shim
    for text in ("Intermediate result", "Final result"):
        assert (text in our_stdout) == (text in real_stdout), text
