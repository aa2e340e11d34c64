"""The throwaway PostgreSQL that `.ci/run` starts for the tests is gone when the tests end, however they end."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from .conftest import free_port

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "start-test-postgres.sh"
pytestmark = pytest.mark.skipif(not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")),
                                reason="needs PostgreSQL's binaries (Debian's postgresql package)")


def _listening(port: int) -> bool:
    probe = subprocess.run(["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{port}"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.parametrize("status", [0, 3])
def test_run_stops_and_removes_the_server_it_started(status: int) -> None:
    port = free_port()
    # Not under pytest's 0700 tmp folders: the server runs as the postgres user, who must reach its data folder.
    data = Path("/tmp") / f"tunelab-pg-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "TUNELAB_PG_PORT": str(port), "TUNELAB_PG_DIR": str(data)}
    try:
        result = subprocess.run(
            ["bash", str(SCRIPT), "run", "bash", "-c",
             f'echo "url=$TUNELAB_TEST_POSTGRES_URL"; (exec 3<>/dev/tcp/127.0.0.1/{port}) && echo up; exit {status}'],
            env=env, capture_output=True, text=True, timeout=180, check=False,
        )
        assert result.returncode == status, result.stderr
        assert f"url=postgresql://postgres@127.0.0.1:{port}/" in result.stdout
        assert "up" in result.stdout.split()
        assert not _listening(port), "the server started for the command is still running"
        assert not data.exists()
    finally:
        if data.exists():
            subprocess.run(["bash", str(SCRIPT), "stop"], env=env, capture_output=True, check=False)
            shutil.rmtree(data, ignore_errors=True)


def test_run_leaves_a_server_it_did_not_start() -> None:
    port = free_port()
    data = Path("/tmp") / f"tunelab-pg-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "TUNELAB_PG_PORT": str(port), "TUNELAB_PG_DIR": str(data)}
    try:
        subprocess.run(["bash", str(SCRIPT), "start"], env=env, capture_output=True, timeout=180, check=True)
        result = subprocess.run(["bash", str(SCRIPT), "run", "true"], env=env, capture_output=True, text=True,
                                timeout=180, check=False)
        assert result.returncode == 0, result.stderr
        assert _listening(port), "a server someone else started was stopped"
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], env=env, capture_output=True, timeout=120, check=False)
        shutil.rmtree(data, ignore_errors=True)
