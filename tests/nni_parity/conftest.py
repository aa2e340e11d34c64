"""The differential suite: the same inputs through the real NNI 3.0 (in the ``.venv-nni`` interpreter, as
a subprocess answering JSON) and through tunelab. Skipped where ``TUNELAB_TEST_NNI_PYTHON`` is unset
(``scripts/make-nni-venv.sh`` builds that venv; ``.ci/run`` does so and exports the variable)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

NNI_PYTHON = os.environ.get("TUNELAB_TEST_NNI_PYTHON", "")
ORACLE = Path(__file__).with_name("oracle")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.nni)
            if not NNI_PYTHON:
                item.add_marker(pytest.mark.skip(
                    reason="set TUNELAB_TEST_NNI_PYTHON to a venv with nni==3.0 (scripts/make-nni-venv.sh)"))


def nni_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TUNELAB_", "NNI_", "PYTHON"))}
    env["HOME"] = str(home)
    return env


def run_oracle(request: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """All cases of ``request`` answered by the real NNI in one subprocess (its import costs seconds)."""
    result = subprocess.run([NNI_PYTHON, str(ORACLE / "cases.py")], input=json.dumps(request), text=True,
                            capture_output=True, env=nni_env(tmp_path), cwd=tmp_path, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.fixture
def oracle(tmp_path: Path) -> Any:
    return lambda request: run_oracle(request, tmp_path)


@pytest.fixture
def nni_python() -> str:
    return NNI_PYTHON


@pytest.fixture(scope="session")
def oracle_session(tmp_path_factory: pytest.TempPathFactory) -> Any:
    where = tmp_path_factory.mktemp("oracle")
    return lambda request: run_oracle(request, where)
