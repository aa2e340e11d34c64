"""Limits on what a user may set, in the config and on a live experiment (issue 10, items 18 and 19)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tunelab.base import ConfigError, InvalidInputError
from tunelab.config import MAX_TRIAL_CONCURRENCY, parse_config
from tunelab.manager._capacity import concurrency_warning

from .fakes import Script
from .test_manager_loop import make_manager

HUGE = 99999999999999999999999


def config(**overrides: Any) -> dict[str, Any]:
    return {"searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}}, "trialCommand": "true",
            "trialConcurrency": 2, "trainingService": {"platform": "local"}, **overrides}


def config_error(**overrides: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(config(**overrides)).validate()
    return str(caught.value)


@pytest.mark.parametrize("value", [HUGE, MAX_TRIAL_CONCURRENCY + 1])
def test_config_caps_concurrency(value: int) -> None:
    message = config_error(trialConcurrency=value)
    assert message.startswith("trialConcurrency: must be at most 1000, got ")
    assert str(value) in message


def test_config_accepts_the_cap() -> None:
    assert parse_config(config(trialConcurrency=MAX_TRIAL_CONCURRENCY)).trial_concurrency == MAX_TRIAL_CONCURRENCY


@pytest.mark.parametrize("key", ["maxTrialDuration", "maxExperimentDuration"])
@pytest.mark.parametrize("value", ["0s", 0, "0", "0.0h", 0.0])
def test_config_refuses_zero_durations(key: str, value: Any) -> None:
    message = config_error(**{key: value})
    assert message.startswith(f"{key}: must be a duration greater than zero")
    assert repr(value) in message


def test_live_update_caps_concurrency(tmp_path: Path) -> None:
    manager, _, store = make_manager(tmp_path, lambda p: Script(final=1.0))
    with pytest.raises(InvalidInputError, match=rf"^trialConcurrency: at most 1000 .* got {HUGE}$"):
        manager.update_concurrency(HUGE)
    assert store.get_experiment().config["trialConcurrency"] == 2


@pytest.mark.parametrize("value", ["0s", 0, "0m"])
def test_live_update_refuses_zero_duration(tmp_path: Path, value: Any) -> None:
    manager, _, store = make_manager(tmp_path, lambda p: Script(final=1.0), maxExperimentDuration="1h")
    with pytest.raises(InvalidInputError, match=r"^maxExperimentDuration: must be a duration greater than zero"):
        manager.update_max_duration(value)
    assert store.get_experiment().config["maxExperimentDuration"] == "1h"


def test_live_update_warns_beyond_the_cores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    manager, _, store = make_manager(tmp_path, lambda p: Script(final=1.0))
    assert manager.update_concurrency(4) is None
    warning = manager.update_concurrency(5)
    assert warning is not None
    assert "trialConcurrency 5" in warning
    assert "4 CPU cores" in warning
    assert store.get_experiment().config["trialConcurrency"] == 5
    assert [e.data["message"] for e in store.list_events() if e.kind == "warning"] == [warning]


def test_warning_counts_gpu_slots_for_gpu_trials(monkeypatch: pytest.MonkeyPatch) -> None:
    from tunelab.runners import GpuInfo

    monkeypatch.setattr("tunelab.runners.detect_gpus", lambda: [GpuInfo(0, False), GpuInfo(1, False)])
    cfg = parse_config(config(trialGpuNumber=1, trialConcurrency=3,
                              trainingService={"platform": "local", "maxTrialNumberPerGpu": 1, "useActiveGpu": False}))
    warning = concurrency_warning(cfg)
    assert warning is not None
    assert "2 trial(s)" in warning
    assert concurrency_warning(cfg, 2) is None


def test_no_warning_off_the_local_machine() -> None:
    cfg = parse_config(config(trialConcurrency=999, trainingService={"platform": "dask"}))
    assert concurrency_warning(cfg) is None
