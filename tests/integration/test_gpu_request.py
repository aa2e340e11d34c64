"""A GPU request this machine can never meet fails at once (exit 2, nothing made) instead of waiting forever."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.integration.conftest import Cli, free_port

TWO_GPUS = ("#!/bin/sh\n"
            'case "$1" in\n'
            "  --query-gpu=*) printf '0, GPU-aaa\\n1, GPU-bbb\\n' ;;\n"
            "esac\n")


def _bin(tmp_path: Path, nvidia_smi: str | None) -> str:
    """A PATH holding only a fake nvidia-smi (or nothing: nvidia-smi missing)."""
    directory = tmp_path / "fakebin"
    directory.mkdir()
    if nvidia_smi is not None:
        fake = directory / "nvidia-smi"
        fake.write_text(nvidia_smi)
        fake.chmod(0o755)
    return str(directory)


def _gpu_config(cli: Cli, **service: object) -> Path:
    return cli.config(trialGpuNumber=1, trainingService={"platform": "local", "useActiveGpu": False, **service})


@pytest.mark.parametrize(("nvidia_smi", "command"), [
    (None, "run"),  # nvidia-smi missing
    ("#!/bin/sh\nexit 0\n", "run"),  # nvidia-smi lists no GPU
    (None, "create"),  # the detached manager says the same
])
def test_a_gpu_request_without_any_gpu_fails_at_once(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    nvidia_smi: str | None, command: str) -> None:
    config = _gpu_config(cli)
    monkeypatch.setenv("PATH", _bin(tmp_path, nvidia_smi))
    args = ["run", str(config)] if command == "run" else ["create", "-c", str(config)]
    result = cli(*args, "--port", str(free_port()), timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "trialGpuNumber: 1, but nvidia-smi found no GPU" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert cli.experiments() == []


def test_gpu_indices_that_are_not_present_fail_at_once(cli: Cli, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    config = _gpu_config(cli, gpuIndices=[3])
    monkeypatch.setenv("PATH", f"{_bin(tmp_path, TWO_GPUS)}{os.pathsep}{os.environ['PATH']}")
    result = cli("run", str(config), "--port", str(free_port()), timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    assert "gpuIndices [3] not present: nvidia-smi lists GPU 0, 1" in message
    assert "Traceback" not in result.stderr
    assert cli.experiments() == []
