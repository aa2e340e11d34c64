"""The venv's bin goes first on the trials' PATH, once, and only when it is not first already."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunelab.manager._interpreter import venv_bin, venv_path_env


def test_venv_bin_is_none_outside_a_venv(tmp_path: Path) -> None:
    assert venv_bin(prefix=str(tmp_path), base_prefix=str(tmp_path)) is None
    (tmp_path / "v" / "bin").mkdir(parents=True)
    assert venv_bin(prefix=str(tmp_path / "v"), base_prefix=str(tmp_path)) == tmp_path / "v" / "bin"


def test_the_venv_bin_is_moved_first_without_duplicates(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = venv_path_env({"PATH": f"/usr/bin:{bin_dir}:/bin"}, bin_dir=bin_dir)
    assert env == {"PATH": f"{bin_dir}:/usr/bin:/bin"}


def test_nothing_changes_when_the_venv_is_first_already(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    assert venv_path_env({"PATH": f"{bin_dir}:/usr/bin"}, bin_dir=bin_dir) == {}


def test_every_runner_gets_the_venv_path_through_the_managers_trial_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The PATH goes in the manager's extra trial environment, which the local runner and the Dask worker
    wrapper both lay over the environment they inherit."""
    from tunelab.manager._session import _compat_env

    bin_dir = venv_bin()
    if bin_dir is None:
        pytest.skip("the tests run outside a virtual environment")
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert _compat_env()["PATH"] == f"{bin_dir}:/usr/bin:/bin"
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin")
    assert "PATH" not in _compat_env()
