"""The Dask runner's parts that need no cluster: log tails and offsets, the metrics file copy, capacity,
GPU hand-out, early kills, the worker-side channel, and building the runner from the config."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tunelab.base import ConfigError
from tunelab.config import DaskConfig, LocalConfig
from tunelab.runners import DaskRunner, _dask, _dask_worker, dask_runner_from_config


def _runner(tmp_path: Path, **kwargs: Any) -> DaskRunner:
    return DaskRunner(tmp_path, lambda message: None, **kwargs)


# == logs ================================================================================================
def test_tail_ships_new_bytes_as_offset_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_dask_worker, "CHUNK_BYTES", 4)
    path = tmp_path / "stdout"
    path.write_bytes(b"hello world")
    tail = _dask_worker._Tail(path, "stdout")
    chunks = tail.read_available()
    assert [(c["offset"], c["data"]) for c in chunks] == [(0, b"hell"), (4, b"o wo"), (8, b"rld")]
    assert tail.read_available() == []
    with open(path, "ab") as handle:
        handle.write(b"!\n")
    assert [(c["offset"], c["data"]) for c in tail.read_available()] == [(11, b"!\n")]


def test_tail_stops_at_the_cap_and_says_where_the_rest_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_dask_worker, "STREAM_CAP", 6)
    path = tmp_path / "stderr"
    path.write_bytes(b"0123456789")
    chunks = _dask_worker._Tail(path, "stderr").read_all()
    assert chunks[0]["data"] == b"012345"
    assert b"stderr truncated at 6 bytes" in chunks[-1]["data"]
    assert str(path).encode() in chunks[-1]["data"]


def test_chunks_written_at_their_offsets_in_any_order_rebuild_the_file(tmp_path: Path) -> None:
    path = tmp_path / "stdout"
    for offset, data in [(6, b"world\n"), (0, b"hello "), (6, b"world\n")]:
        _dask._write_at(path, offset, data)
    assert path.read_bytes() == b"hello world\n"


def test_metrics_file_copy_stays_append_only(tmp_path: Path) -> None:
    path = tmp_path / "metrics"
    lines = [json.dumps({"trial": "t", "kind": "PERIODICAL", "seq": i, "value": i}) + "\n" for i in range(3)]
    path.write_text(lines[0])
    _dask._complete_metrics_file(path, "".join(lines))
    assert path.read_text() == "".join(lines)
    _dask._complete_metrics_file(path, "".join(lines))  # nothing new: nothing appended
    assert path.read_text() == "".join(lines)
    other = tmp_path / "other"
    other.write_text(lines[2])  # a live line arrived, earlier ones did not: keep it, append the others
    _dask._complete_metrics_file(other, "".join(lines))
    assert other.read_text() == lines[2] + lines[0] + lines[1]


# == capacity ============================================================================================
def test_free_slots_counts_worker_threads_and_resources(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    runner._workers = {
        "tcp://a": {"nthreads": 2, "resources": {"GPU": 1}},
        "tcp://b": {"nthreads": 1, "resources": {}},
    }
    assert runner._capacity({}) == 3
    assert runner._capacity({"GPU": 1}) == 1
    assert runner._capacity({"GPU": 2}) == 0
    assert runner.free_slots(None)  # nothing running
    runner._attempts = {"t1": object(), "t2": object()}  # type: ignore[dict-item]
    assert runner.free_slots(None)
    assert not runner.free_slots(1)


def test_a_trial_needing_resources_no_worker_offers_is_refused_clearly(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    runner._workers = {"tcp://a": {"nthreads": 4, "resources": {}}}
    with pytest.raises(RuntimeError, match=r"no Dask worker offers the resources a trial needs \(GPU=2\)") as info:
        runner._check_offered(runner._needs(2))
    assert "--resources" in str(info.value)
    assert "trialGpuNumber" in str(info.value)
    runner._check_offered(runner._needs(0))  # trialGpuNumber 0 needs nothing


def test_config_resources_add_to_the_gpu_need(tmp_path: Path) -> None:
    runner = _runner(tmp_path, resources={"MEMORY": 4.0})
    assert runner._needs(None) == {"MEMORY": 4.0}
    assert runner._needs(2) == {"MEMORY": 4.0, "GPU": 2.0}


# == config ==============================================================================================
def test_runner_from_config_takes_the_dask_fields(tmp_path: Path) -> None:
    service = DaskConfig(scheduler_address="tcp://127.0.0.1:18499", n_workers=3, threads_per_worker=2,
                         resources={"GPU": 1.0})
    runner = dask_runner_from_config(service, tmp_path, lambda message: None)
    assert runner._address == "tcp://127.0.0.1:18499"
    assert (runner._n_workers, runner._threads, runner._resources) == (3, 2, {"GPU": 1.0})


def test_runner_from_config_refuses_other_platforms(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="platform: dask, got 'local'"):
        dask_runner_from_config(LocalConfig(), tmp_path, lambda message: None)


def test_runner_needs_open_before_use(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="not open"):
        _ = _runner(tmp_path).client


# == worker side =========================================================================================
def _spec(**overrides: Any) -> _dask_worker.TrialSpec:
    fields: dict[str, Any] = {"trial_id": "t1", "experiment_id": "e1", "token": "tok", "key": "k",
                              "topic": "top", "command": "true", "code_dir": "/", "manager_trial_dir": "", "env": {}}
    return _dask_worker.TrialSpec(**{**fields, **overrides})


def test_a_kill_arriving_before_the_attempt_registers_is_applied_at_registration() -> None:
    assert _dask_worker.request_kill("early-token", 3.0, "killed by the user") is False
    attempt = _dask_worker._register(_spec(token="early-token"))
    try:
        assert attempt.kill_deadline is not None
        assert attempt.kill_reason == "killed by the user"
    finally:
        _dask_worker._ATTEMPTS.pop("early-token", None)


def test_gpus_are_handed_out_least_used_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    worker = SimpleNamespace(state=SimpleNamespace(total_resources={"GPU": 2}))
    first = _dask_worker._allocate_gpus(1, worker)
    second = _dask_worker._allocate_gpus(1, worker)
    assert sorted(first + second) == ["0", "1"]
    _dask_worker._release_gpus(first)
    assert _dask_worker._allocate_gpus(1, worker) == first
    _dask_worker._release_gpus(first + second)
    assert _dask_worker._GPU_USE == {}


def test_worker_devices_follow_the_workers_own_visible_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    worker = SimpleNamespace(state=SimpleNamespace(total_resources={"GPU": 2}))
    assert _dask_worker.worker_devices(worker) == ["2", "3"]


def test_trial_env_points_outputs_at_the_manager_dir_only_when_the_worker_sees_it(tmp_path: Path) -> None:
    worker = SimpleNamespace(address="tcp://127.0.0.1:1", state=SimpleNamespace(total_resources={}))
    workdir = tmp_path / "work"
    workdir.mkdir()
    env, _ = _dask_worker._trial_env(_spec(manager_trial_dir=str(tmp_path), gpu_number=0,
                                           parameter_text='{"x": 1}'), workdir, worker)
    assert env["TUNELAB_OUTPUT_DIR"] == env["NNI_OUTPUT_DIR"] == str(tmp_path)
    assert env["TUNELAB_METRICS_FILE"].startswith(str(workdir))
    assert env["CUDA_VISIBLE_DEVICES"] == ""
    assert Path(env["TUNELAB_PARAMETER_FILE"]).read_text() == '{"x": 1}'
    env, _ = _dask_worker._trial_env(_spec(manager_trial_dir=str(tmp_path / "absent")), workdir, worker)
    assert env["TUNELAB_OUTPUT_DIR"] == str(workdir)
    assert env.get("CUDA_VISIBLE_DEVICES") == os.environ.get("CUDA_VISIBLE_DEVICES")  # gpu_number None: untouched


def test_worker_channel_forwards_only_this_trials_well_formed_lines(tmp_path: Path) -> None:
    got: list[str] = []
    channel = _dask_worker._Channel("tunelab-test-channel", tmp_path, "t1", got.append)
    address = channel.address
    path = "\0" + address[1:] if address.startswith("@") else address
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as early:
            early.connect(path)  # before start(): waits in the backlog, as a fast trial's connection does
            early.sendall(b'{"trial": "t1", "kind": "PERIODICAL", "seq": 0}\n')
        channel.start()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(path)
            sock.sendall(b'not json\n{"trial": "t2", "kind": "FINAL"}\n{"trial": "t1", "kind": "FINAL", "seq": 0}\n')
    finally:
        channel.close(drain=5.0)
    assert sorted(got) == ['{"trial": "t1", "kind": "FINAL", "seq": 0}\n',
                           '{"trial": "t1", "kind": "PERIODICAL", "seq": 0}\n']


@pytest.mark.dask
def test_an_unreachable_scheduler_is_a_config_error_naming_the_address(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    runner = _runner(tmp_path, scheduler_address="tcp://127.0.0.1:18499", connect_timeout=1.0)

    async def main() -> None:
        try:
            await runner.open()
        finally:
            await runner.close()

    with pytest.raises(ConfigError, match=r"schedulerAddress: cannot reach the Dask scheduler at 'tcp://127.0.0.1:18499'"):
        asyncio.run(main())


def test_local_workers_share_the_hosts_gpus_round_robin() -> None:
    base = {"cls": object, "options": {"nthreads": 1, "resources": {"MEM": 1}}}
    spec: dict[Any, Any] = {0: base, 1: base, 2: base}
    _dask.share_gpus(spec, ["0", "1", "2", "3"])
    shares = [(spec[i]["options"]["env"]["CUDA_VISIBLE_DEVICES"], spec[i]["options"]["resources"]) for i in range(3)]
    assert shares == [("0,3", {"MEM": 1, "GPU": 2}), ("1", {"MEM": 1, "GPU": 1}), ("2", {"MEM": 1, "GPU": 1})]
    assert base["options"] == {"nthreads": 1, "resources": {"MEM": 1}}  # the shared template is untouched
    untouched: dict[Any, Any] = {0: base}
    _dask.share_gpus(untouched, [])
    assert untouched == {0: base}


def test_without_distributed_installed_open_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    with pytest.raises(ConfigError, match=r"pip install 'tunelab\[dask\]'"):
        asyncio.run(_runner(tmp_path).open())


def test_large_parameters_travel_in_the_spec_not_as_a_manager_path(tmp_path: Path) -> None:
    from tunelab.runners import TrialLaunch

    params = tmp_path / "parameter.json"
    params.write_text('{"big": "value"}')
    launch = TrialLaunch("t1", 1, "true", tmp_path, tmp_path, {"TUNELAB_PARAMETER_FILE": str(params),
                                                               "TUNELAB_EXPERIMENT_ID": "e1"}, gpu_number=1)
    spec = _runner(tmp_path)._spec(launch, "tok", "key")
    assert spec.parameter_text == '{"big": "value"}'
    assert (spec.experiment_id, spec.gpu_number, spec.manager_trial_dir) == ("e1", 1, str(tmp_path))


def test_supervise_escalates_to_sigkill_after_the_grace_and_kills_the_group(tmp_path: Path) -> None:
    """The worker-side kill path without Dask: a trial ignoring SIGTERM, with a child in its group."""
    import subprocess
    import time

    script = "trap '' TERM; sleep 60 & echo $! > child.pid; wait"
    process = subprocess.Popen(["/bin/sh", "-c", script], cwd=tmp_path, start_new_session=True)
    attempt = _dask_worker._Attempt(_spec(token="esc", log_interval=5.0, trial_id="esc-trial",
                                          experiment_id=f"esc-{os.getpid()}"))
    attempt.process = process
    worker = SimpleNamespace()  # no task state: never "abandoned"
    pid_file = tmp_path / "child.pid"
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.01)
    child = int(pid_file.read_text())
    threading.Timer(0.1, attempt.request_kill, args=(0.3, "killed by the user")).start()
    returncode = _dask_worker._supervise(attempt, worker, [], lambda message: None)
    assert returncode == -9  # SIGTERM was ignored; SIGKILL after the grace ended it
    assert attempt.kill_reason == "killed by the user"
    status = Path(f"/proc/{child}/status")
    assert not status.exists() or "\nState:\tZ" in status.read_text()
