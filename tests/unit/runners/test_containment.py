"""Per-trial cgroups: found from /proc, made and removed, and everything in one killed whatever it did."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tunelab.runners._containment import Containment, cgroup_of, enter_command, kill_cgroup, own_cgroup_dir


def _fake_proc(tmp_path: Path, cgroup_line: str, mount_dir: Path) -> Path:
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "cgroup").write_text(f"4:memory:/x\n{cgroup_line}\n")
    (proc / "self" / "mounts").write_text(f"proc /proc proc rw 0 0\ncgroup2 {mount_dir} cgroup2 rw 0 0\n")
    return proc


def test_own_cgroup_dir_reads_the_unified_line_and_the_cgroup2_mount(tmp_path: Path) -> None:
    mount = tmp_path / "unified"
    (mount / "user.slice" / "app.scope").mkdir(parents=True)
    proc = _fake_proc(tmp_path, "0::/user.slice/app.scope", mount)
    assert own_cgroup_dir(proc) == mount / "user.slice" / "app.scope"


def test_no_unified_hierarchy_means_no_containment(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "cgroup").write_text("4:memory:/x\n")
    (proc / "self" / "mounts").write_text("proc /proc proc rw 0 0\n")
    assert own_cgroup_dir(proc) is None
    assert Containment.open(cgroup_dir=None) is None or own_cgroup_dir() is not None


def test_a_plain_folder_is_not_taken_for_a_cgroup(tmp_path: Path) -> None:
    assert Containment.open(cgroup_dir=tmp_path) is None
    assert list(tmp_path.iterdir()) == []  # nothing half-made left behind


def test_cgroup_of_only_returns_cgroups_tunelab_made(tmp_path: Path) -> None:
    mount = tmp_path / "unified"
    (mount / "tunelab-12" / "trial_a").mkdir(parents=True)
    (mount / "user.slice").mkdir(parents=True)
    proc = _fake_proc(tmp_path, "0::/", mount)
    (proc / "77").mkdir()
    (proc / "77" / "cgroup").write_text("0::/tunelab-12/trial_a\n")
    (proc / "78").mkdir()
    (proc / "78" / "cgroup").write_text("0::/user.slice\n")
    assert cgroup_of(77, proc) == mount / "tunelab-12" / "trial_a"
    assert cgroup_of(78, proc) is None
    assert cgroup_of(79, proc) is None


def test_enter_command_quotes_the_path_and_keeps_the_command() -> None:
    text = enter_command(Path("/sys/fs/cgroup/it's here"), "python3 train.py --lr 0.1")
    assert text.splitlines()[1] == "python3 train.py --lr 0.1"
    assert "'/sys/fs/cgroup/it'\"'\"'s here/cgroup.procs'" in text


@pytest.fixture
def containment() -> Iterator[Containment]:
    made = Containment.open()
    if made is None:
        pytest.skip("needs a writable cgroup v2 hierarchy (root, or a delegated systemd user session)")
    yield made
    made.close()


def test_everything_started_in_a_trial_cgroup_is_killed_and_the_folders_removed(containment: Containment) -> None:
    directory = containment.prepare("trial-1")
    assert directory is not None
    script = enter_command(directory, "setsid sleep 3600 >/dev/null 2>&1 & env -i sleep 3601 >/dev/null 2>&1 & echo $!")
    shell = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, check=True, timeout=30)
    time.sleep(0.1)
    pids = [int(line) for line in (directory / "cgroup.procs").read_text().split()]
    assert len(pids) == 2, pids  # both survived their shell, one in a new session, one with no environment
    assert int(shell.stdout) in pids
    assert kill_cgroup(directory, wait=2.0)
    assert not directory.exists()
    for pid in pids:
        state = _state(pid)
        assert state in (None, "Z"), f"pid {pid} is still {state}"
    containment.close()
    assert not containment.root.exists()


def test_an_empty_cgroup_is_removed_at_once(containment: Containment) -> None:
    directory = containment.prepare("trial-2")
    assert directory is not None
    assert kill_cgroup(directory, wait=0.0)
    assert not directory.exists()
    containment.close()


def test_close_removes_what_a_dead_manager_left(containment: Containment) -> None:
    stale = containment.root.parent / "tunelab-999999999"
    (stale / "t").mkdir(parents=True)
    containment.close()
    again = Containment.open()
    assert again is not None
    assert not stale.exists()
    again.close()


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def test_the_module_never_touches_the_managers_own_cgroup(containment: Containment) -> None:
    own = own_cgroup_dir()
    assert own is not None
    assert containment.root.parent == own
    assert str(os.getpid()) in containment.root.name
    containment.close()
