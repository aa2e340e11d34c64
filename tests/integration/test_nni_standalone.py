"""A trial script written for NNI runs alone in the tunelab environment (`python3 mnist_nni.py`), as NNI's
tutorials tell people to try it first: `import nni` resolves to tunelab's shim when no real NNI is
installed, `get_next_parameter()` returns {} and every report is logged. A fresh interpreter of the venv,
no PYTHONPATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import nni

params = nni.get_next_parameter()
print("params", params)
nni.report_intermediate_result(0.25)
nni.report_final_result(0.75)
print("nni from", nni.__file__)
"""


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if k != "PYTHONPATH" and not k.startswith(("TUNELAB_", "NNI_"))}


def _run(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "mnist_nni.py"
    script.write_text(SCRIPT)
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def test_import_nni_standalone_uses_the_shim(tmp_path: Path) -> None:
    done = _run(tmp_path, _clean_env())
    hint = ("if `import nni` is not found, the venv predates tunelab-nni.pth: reinstall with "
            "`pip install -e .`")
    assert done.returncode == 0, f"{hint}\n{done.stdout}\n{done.stderr}"
    assert "params {}" in done.stdout
    assert "Intermediate result: 0.25" in done.stdout
    assert "Final result: 0.75" in done.stdout
    assert f"{os.sep}compat{os.sep}_shim{os.sep}nni{os.sep}" in done.stdout


def test_a_real_nni_wins_over_the_fallback(tmp_path: Path) -> None:
    real = tmp_path / "site" / "nni"
    real.mkdir(parents=True)
    (real / "__init__.py").write_text(
        "def get_next_parameter():\n    return {'real': 1}\n"
        "def report_intermediate_result(v):\n    print('Intermediate result:', v)\n"
        "def report_final_result(v):\n    print('Final result:', v)\n"
    )
    done = _run(tmp_path, {**_clean_env(), "PYTHONPATH": str(real.parent)})
    assert done.returncode == 0, done.stderr
    assert "params {'real': 1}" in done.stdout
    assert f"nni from {real / '__init__.py'}" in done.stdout
