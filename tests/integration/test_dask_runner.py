"""Experiments on real Dask clusters bound to 127.0.0.1: metrics and logs come back, kill reaches the worker's
process, a lost worker fails and retries its trial.

Two kinds of cluster: the runner's embedded ``LocalCluster`` (no ``schedulerAddress``), and a cluster this
module starts and the experiment connects to through ``schedulerAddress`` (the path of a real deployment,
where Dask may re-run a lost worker's task on its own). Scheduler ports come from 18400-18499.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("distributed")

from distributed import Client, LocalCluster

from tunelab.config import parse_config
from tunelab.manager import ExperimentManager, Mode, create_session, open_session
from tunelab.runners import _dask
from tunelab.trial import MetricKind, TrialState

pytestmark = [pytest.mark.dask, pytest.mark.timeout(180)]

EMBEDDED_PORT = 18411
SHARED_PORT = 18412
REST_PORT = 18413
GPU_PORT = 18414
LOST_PORT = 18415
RETIRE_PORT = 18416

TRIAL = textwrap.dedent(
    """
    import os, sys, time
    from tunelab.trial_api import get_next_parameter, report_intermediate_result, report_final_result

    params = get_next_parameter()
    x = params["x"]
    print(f"trial sees x={x} on {os.environ.get('TUNELAB_DASK_WORKER')}", flush=True)
    print("a warning on stderr", file=sys.stderr, flush=True)
    for step in range(3):
        report_intermediate_result(x * step)
    report_final_result(x * 10)
    """
)

SLEEPER = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path
    from tunelab.trial_api import get_next_parameter, report_final_result

    get_next_parameter()
    here = Path(sys.argv[1])
    marker = here / "attempted"
    if marker.exists():  # the retry: finish at once
        report_final_result(1.0)
        sys.exit(0)
    marker.write_text("1")
    info = {"pid": os.getpid(), "worker": os.environ.get("TUNELAB_DASK_WORKER")}
    (here / "running.json").write_text(json.dumps(info))
    print("sleeping now", flush=True)
    time.sleep(120)
    """
)


# == fixtures ============================================================================================
@pytest.fixture(scope="module")
def shared_cluster() -> Iterator[str]:
    """A two-worker cluster (with nannies, so a killed worker comes back) the experiments connect to."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      scheduler_port=SHARED_PORT, dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster:
        yield str(cluster.scheduler_address)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TUNELAB_HOME", str(tmp_path / "home"))
    return tmp_path


def _config(code: Path, script: str, service: dict[str, Any], **extra: Any) -> dict[str, Any]:
    (code / "trial.py").write_text(script)
    return {
        "searchSpace": {"x": {"_type": "choice", "_value": [1, 2, 3, 4]}},
        "trialCommand": f"{sys.executable} trial.py {code}",
        "trialCodeDirectory": str(code),
        "trialConcurrency": 2,
        "maxTrialNumber": 4,
        "tuner": {"name": "GridSearch"},
        "trainingService": {"platform": "dask", **service},
        **extra,
    }


def _run(manager: ExperimentManager, during: Callable[[ExperimentManager], Any] | None = None) -> None:
    async def main() -> None:
        task = asyncio.create_task(manager.run())
        if during is not None:
            await during(manager)
        await asyncio.wait_for(task, timeout=120)

    asyncio.run(main())


async def _until(predicate: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def _gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (a zombie waiting for a reaper counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" in status


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


# == tests ===============================================================================================
def test_experiment_on_embedded_cluster_brings_back_metrics_and_logs(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_dask, "LOCAL_SCHEDULER_PORT", EMBEDDED_PORT)
    code = home / "code"
    code.mkdir()
    session = create_session(parse_config(_config(code, TRIAL, {"nWorkers": 2})))
    try:
        assert session.manager is not None
        _run(session.manager)
        trials = session.store.list_trials()
        assert sorted(t.parameters["x"] for t in trials) == [1, 2, 3, 4]
        workers = set()
        for trial in trials:
            x = trial.parameters["x"]
            assert trial.status == TrialState.SUCCEEDED, trial.message
            assert trial.final == x * 10
            curve = [m.value for m in session.store.get_metrics(trial.id, MetricKind.PERIODICAL)]
            assert curve == [0, x, 2 * x]
            directory = session.experiment_dir / "trials" / trial.id
            stdout = (directory / "stdout").read_text()
            assert f"trial sees x={x} on tcp://127.0.0.1:" in stdout
            workers.add(stdout.split(" on ")[1].strip())
            assert (directory / "stderr").read_text() == "a warning on stderr\n"
            log = (directory / "trial.log").read_text()
            assert "on Dask worker tcp://127.0.0.1:" in log
            assert "exited with code 0" in log
        assert len(workers) == 2  # two slots of concurrency, two single-threaded workers
    finally:
        session.close()
    _check_logs_over_rest(session.experiment_id, trials[0].id, trials[0].parameters["x"])


def _check_logs_over_rest(experiment_id: str, trial_id: str, x: int) -> None:
    """The UI's log and trial endpoints serve what the workers sent back."""
    import httpx

    from tunelab.server import AppContext, ServerSettings, create_app

    view = open_session(experiment_id, mode=Mode.VIEW)
    try:
        context = AppContext(experiment_id=experiment_id, store=view.store, experiment_dir=view.experiment_dir,
                             experiments_root=view.experiment_dir.parent)
        app = create_app(context, ServerSettings(port=REST_PORT))

        async def fetch(url: str) -> Any:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=f"http://127.0.0.1:{REST_PORT}") as client:
                response = await client.get(url)
            assert response.status_code == 200, response.text
            return response.json()

        stdout = asyncio.run(fetch(f"/api/v1/trials/{trial_id}/logs/stdout"))
        assert f"trial sees x={x}" in stdout["text"]
        detail = asyncio.run(fetch(f"/api/v1/trials/{trial_id}"))
        assert json.dumps(detail).count(str(x * 10)) >= 1
    finally:
        view.close()


def test_missing_code_directory_fails_with_a_clear_message(home: Path, shared_cluster: str) -> None:
    code = home / "code"
    code.mkdir()
    session = create_session(parse_config(_config(code, TRIAL, {"schedulerAddress": shared_cluster},
                                                   maxTrialNumber=1)))
    (code / "trial.py").unlink()
    code.rmdir()  # the manager saw it at validation; the workers do not find it
    try:
        assert session.manager is not None
        _run(session.manager)
        (trial,) = session.store.list_trials()
        assert trial.status == TrialState.FAILED
        assert "trialCodeDirectory" in trial.message
        assert "does not exist on Dask worker" in trial.message
        assert str(code) in trial.message
    finally:
        session.close()


def test_killing_a_trial_kills_its_process_on_the_worker(home: Path, shared_cluster: str) -> None:
    code = home / "code"
    code.mkdir()
    config = _config(code, SLEEPER, {"schedulerAddress": shared_cluster}, maxTrialNumber=1)
    session = create_session(parse_config(config))
    seen: dict[str, Any] = {}

    async def kill_it(manager: ExperimentManager) -> None:
        seen.update(await _until(lambda: _read_json(code / "running.json"), "the trial to start"))
        (trial,) = manager.store.list_trials()
        stdout = manager.experiment_dir / "trials" / trial.id / "stdout"
        # Logs stream while the trial runs (not only at its end).
        await _until(lambda: stdout.exists() and "sleeping now" in stdout.read_text(), "live stdout")
        await manager.kill_trial(trial.id)

    try:
        assert session.manager is not None
        _run(session.manager, kill_it)
        (trial,) = session.store.list_trials()
        assert trial.status == TrialState.USER_CANCELED
        # Killed before the worker reported the end; under load the kernel may take a moment to tear it down.
        deadline = time.monotonic() + 5
        while not _gone(seen["pid"]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(seen["pid"])
        log = (session.experiment_dir / "trials" / trial.id / "trial.log").read_text()
        assert "signal SIGTERM" in log
    finally:
        session.close()


@pytest.mark.parametrize("cluster", ["embedded", "connected"])
def test_a_lost_worker_fails_its_trial_and_the_retry_runs_it(
    home: Path, cluster: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Embedded: Dask itself marks the task failed (allowed-failures 0). Connected: Dask would run it again
    elsewhere; the runner cancels that and reports the loss. Either way the manager's retry runs it."""
    if cluster == "embedded":
        monkeypatch.setattr(_dask, "LOCAL_SCHEDULER_PORT", LOST_PORT)
        address, service = f"tcp://127.0.0.1:{LOST_PORT}", {"nWorkers": 2}
    else:
        address = str(request.getfixturevalue("shared_cluster"))
        service = {"schedulerAddress": address}
    code = home / "code"
    code.mkdir()
    config = _config(code, SLEEPER, service, maxTrialNumber=1, maxTrialRetries=1)
    session = create_session(parse_config(config))
    seen: dict[str, Any] = {}

    async def kill_worker(manager: ExperimentManager) -> None:
        seen.update(await _until(lambda: _read_json(code / "running.json"), "the trial to start"))
        async with Client(address, asynchronous=True) as client:
            pids = await client.run(os.getpid, workers=[seen["worker"]])
        os.kill(pids[seen["worker"]], 9)

    try:
        assert session.manager is not None
        _run(session.manager, kill_worker)
        (trial,) = session.store.list_trials()
        assert trial.status == TrialState.SUCCEEDED, trial.message
        assert trial.attempt == 1
        assert trial.final == 1.0
        requeued = [e for e in session.store.list_events() if e.kind == "trial_requeued"]
        assert len(requeued) == 1
        assert f"Dask worker {seen['worker']} died or lost contact" in json.dumps(requeued[0].data)
        assert _gone(seen["pid"])  # the first attempt's process outlived its worker; the runner killed it
    finally:
        session.close()


def test_max_trial_duration_stops_the_remote_process(home: Path, shared_cluster: str) -> None:
    code = home / "code"
    code.mkdir()
    config = _config(code, SLEEPER, {"schedulerAddress": shared_cluster}, maxTrialNumber=1,
                     maxTrialDuration="1s")
    session = create_session(parse_config(config))
    try:
        assert session.manager is not None
        _run(session.manager)
        (trial,) = session.store.list_trials()
        info = _read_json(code / "running.json")
        assert info is not None  # it did start on a worker
        assert trial.status == TrialState.EARLY_STOPPED
        assert "maxTrialDuration" in trial.message
        assert _gone(info["pid"])
    finally:
        session.close()


GPU_TRIAL = textwrap.dedent(
    """
    import os, time
    from pathlib import Path
    from tunelab.trial_api import get_next_parameter, report_final_result

    params = get_next_parameter()
    out = Path(os.environ["TUNELAB_OUTPUT_DIR"])
    (out / "cuda.txt").write_text(os.environ.get("CUDA_VISIBLE_DEVICES", "unset"))
    time.sleep(0.5)  # overlap with the other trial, so both GPUs are in use at once
    report_final_result(params["x"])
    """
)


def test_gpu_trials_get_distinct_devices_from_the_embedded_cluster(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two GPUs as nvidia-smi would list them: each local worker gets one and offers it as resource GPU=1.
    from tunelab.runners import GpuInfo, _gpu

    monkeypatch.setattr(_dask, "detect_gpus", lambda: [GpuInfo(0, False), GpuInfo(1, False)])
    monkeypatch.setattr(_gpu, "detect_gpus", lambda: [GpuInfo(0, False), GpuInfo(1, False)])  # the up-front check
    monkeypatch.setattr(_dask, "LOCAL_SCHEDULER_PORT", GPU_PORT)
    code = home / "code"
    code.mkdir()
    session = create_session(parse_config(_config(code, GPU_TRIAL, {"nWorkers": 2}, trialGpuNumber=1)))
    try:
        assert session.manager is not None
        _run(session.manager)
        trials = session.store.list_trials()
        assert [t.status for t in trials] == [TrialState.SUCCEEDED] * 4, [t.message for t in trials]
        devices = [(session.experiment_dir / "trials" / t.id / "cuda.txt").read_text() for t in trials]
        assert sorted(set(devices)) == ["0", "1"]
    finally:
        session.close()


def test_a_vanished_manager_leaves_no_trial_running_on_the_workers(home: Path, shared_cluster: str) -> None:
    """The runner goes away without killing its trial (close() leaves trials alone, like a manager killed
    with -9): the scheduler drops the task, and the worker-side wrapper ends the process on its own."""
    from tunelab.runners import DaskRunner, TrialLaunch

    code = home / "code"
    code.mkdir()
    (code / "trial.py").write_text(SLEEPER)
    trial_dir = home / "trial"
    trial_dir.mkdir()

    async def main() -> dict[str, Any]:
        runner = DaskRunner(home, lambda message: None, scheduler_address=shared_cluster)
        await runner.open()
        env = {"TUNELAB_EXPERIMENT_ID": "vanish", "TUNELAB_TRIAL_ID": "t1", "TUNELAB_PARAMETERS": "{}"}
        await runner.start(TrialLaunch("t1", 1, f"{sys.executable} trial.py {code}", code, trial_dir, env))
        info: dict[str, Any] = await _until(lambda: _read_json(code / "running.json"), "the trial to start")
        await runner.close()  # no kill: the connection just ends
        await _until(lambda: _gone(info["pid"]), "the worker to end the abandoned trial")
        return info

    info = asyncio.run(main())
    assert _gone(info["pid"])


def test_a_worker_shutting_down_kills_its_trials(home: Path) -> None:
    """``dask worker`` stopped (here: retired) mid-trial: the worker plugin ends the trial's process and the
    runner fails the trial, naming the worker."""
    from tunelab.runners import DaskRunner, TrialLaunch

    code = home / "code"
    code.mkdir()
    (code / "trial.py").write_text(SLEEPER)
    trial_dir = home / "trial"
    trial_dir.mkdir()

    async def main() -> tuple[dict[str, Any], Any]:
        async with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                scheduler_port=RETIRE_PORT, dashboard_address=None, asynchronous=True,
                                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster:
            runner = DaskRunner(home, lambda message: None, scheduler_address=cluster.scheduler_address)
            await runner.open()
            try:
                env = {"TUNELAB_EXPERIMENT_ID": "retire", "TUNELAB_TRIAL_ID": "t1", "TUNELAB_PARAMETERS": "{}"}
                handle = await runner.start(TrialLaunch("t1", 1, f"{sys.executable} trial.py {code}", code,
                                                        trial_dir, env))
                info: dict[str, Any] = await _until(lambda: _read_json(code / "running.json"), "the trial")
                await runner.client.retire_workers(workers=[info["worker"]], close_workers=True)
                exit_info = await asyncio.wait_for(runner.wait(handle), timeout=60)
            finally:
                await runner.close()
        return info, exit_info

    info, exit_info = asyncio.run(main())
    assert _gone(info["pid"])
    assert exit_info.returncode is None or exit_info.returncode < 0
    assert info["worker"] in exit_info.message


def test_a_gpu_trial_on_a_cluster_without_gpu_workers_fails_at_once(
    home: Path, shared_cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No worker of the cluster offers the GPU resource: after a short wait the experiment ends ERROR with
    a message naming what was asked and what was found, instead of a trial queued in Dask forever."""
    from tunelab.base import ConfigError
    from tunelab.trial import ExperimentStatus

    monkeypatch.setattr(_dask, "GPU_WAIT_S", 1.0)
    code = home / "code"
    code.mkdir()
    session = create_session(parse_config(_config(code, TRIAL, {"schedulerAddress": shared_cluster},
                                                   trialGpuNumber=1)))
    try:
        assert session.manager is not None
        started = time.monotonic()
        with pytest.raises(ConfigError) as caught:
            _run(session.manager)
        assert time.monotonic() - started < 30
        message = caught.value.message
        assert "trialGpuNumber: 1, but no Dask worker at" in message
        assert "offers the GPU resource" in message
        assert "--resources GPU=1" in message
        assert session.store.list_trials() == []
        record = session.store.get_experiment()
        assert record.status == ExperimentStatus.ERROR
        assert record.error == message
    finally:
        session.close()
