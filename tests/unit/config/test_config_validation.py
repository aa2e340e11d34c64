"""Every validation rule of the experiment config: the message names the key, the value and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tunelab.base import ConfigError
from tunelab.config import ExperimentConfig, parse_config

SPACE = {"lr": {"_type": "loguniform", "_value": [1e-4, 0.1]}}


def minimal(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "searchSpace": SPACE,
        "trialCommand": "python3 train.py",
        "trialConcurrency": 2,
        "tuner": {"name": "TPE", "classArgs": {"optimize_mode": "maximize"}},
        "trainingService": {"platform": "local"},
    }
    for key, value in overrides.items():
        if value is _DROP:
            data.pop(key, None)
        else:
            data[key] = value
    return data


_DROP = object()


def error_of(data: dict[str, Any], base_dir: Path | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(data, base_dir=base_dir)
    return str(info.value)


def test_minimal_config_is_valid() -> None:
    config = parse_config(minimal())
    assert config.trial_concurrency == 2
    assert config.tuner is not None
    assert config.tuner.name == "TPE"


def test_missing_trial_command() -> None:
    message = error_of(minimal(trialCommand=_DROP))
    assert message.startswith("trialCommand: required")
    assert "trialCommand: python3 train.py" in message


@pytest.mark.parametrize("value", [0, -3, 1.5, "2", True])
def test_trial_concurrency_must_be_positive_int(value: Any) -> None:
    message = error_of(minimal(trialConcurrency=value))
    assert message.startswith("trialConcurrency: must be an integer > 0")
    assert f"got {value!r}" in message
    assert "e.g. trialConcurrency: 2" in message


def test_missing_trial_concurrency() -> None:
    assert error_of(minimal(trialConcurrency=_DROP)).startswith("trialConcurrency: required")


def test_unknown_key_suggests_the_close_one() -> None:
    data = minimal()
    data["trialConcurency"] = 3
    message = error_of(data)
    assert message.startswith("trialConcurency: unknown key")
    assert 'did you mean "trialConcurrency"?' in message


def test_unknown_nested_key_names_the_path() -> None:
    message = error_of(minimal(tuner={"name": "TPE", "clasArgs": {}}))
    assert message.startswith("tuner.clasArgs: unknown key")
    assert 'did you mean "classArgs"?' in message


def test_key_given_twice_in_two_spellings() -> None:
    data = minimal()
    data["trial_concurrency"] = 4
    assert "given twice" in error_of(data)


@pytest.mark.parametrize("value", ["2x", "h", "-1h", -5, "1.5 hours", [1]])
def test_bad_duration(value: Any) -> None:
    message = error_of(minimal(maxExperimentDuration=value))
    assert message.startswith("maxExperimentDuration: must be a duration")
    assert repr(value) in message
    assert '"0.5h"' in message


def test_bad_trial_duration() -> None:
    assert error_of(minimal(maxTrialDuration="soon")).startswith("maxTrialDuration: must be a duration")


def test_missing_search_space_file(tmp_path: Path) -> None:
    message = error_of(minimal(searchSpace=_DROP, searchSpaceFile="nope.json"), base_dir=tmp_path)
    assert message.startswith("searchSpaceFile: file not found")
    assert str(tmp_path / "nope.json") in message


def test_search_space_and_file_are_exclusive(tmp_path: Path) -> None:
    (tmp_path / "space.json").write_text('{"x": {"_type": "choice", "_value": [1, 2]}}')
    message = error_of(minimal(searchSpaceFile="space.json"), base_dir=tmp_path)
    assert "searchSpace, searchSpaceFile: give one of them, got both" in message


def test_search_space_required() -> None:
    message = error_of(minimal(searchSpace=_DROP))
    assert message.startswith("searchSpace: required, but neither searchSpace nor searchSpaceFile is set")


def test_search_space_content_is_checked_by_the_space_parser() -> None:
    message = error_of(minimal(searchSpace={"lr": {"_type": "loguniform", "_value": [0, 0.1]}}))
    assert "searchSpace" in message
    assert "lr" in message


def test_bad_search_space_file_content(tmp_path: Path) -> None:
    (tmp_path / "space.json").write_text('{"x": {"_type": "nosuchtype", "_value": [1]}}')
    message = error_of(minimal(searchSpace=_DROP, searchSpaceFile="space.json"), base_dir=tmp_path)
    assert "nosuchtype" in message


def test_missing_trial_code_directory(tmp_path: Path) -> None:
    message = error_of(minimal(trialCodeDirectory="missing_dir"), base_dir=tmp_path)
    assert message.startswith("trialCodeDirectory: directory not found")
    assert str(tmp_path / "missing_dir") in message


@pytest.mark.parametrize("value", [0, -1, "10"])
def test_max_trial_number_must_be_positive(value: Any) -> None:
    message = error_of(minimal(maxTrialNumber=value))
    assert message.startswith("maxTrialNumber: must be an integer > 0")
    assert f"got {value!r}" in message


def test_negative_retries() -> None:
    assert error_of(minimal(maxTrialRetries=-1)).startswith("maxTrialRetries: must be an integer >= 0")


def test_gpu_trials_on_local_need_use_active_gpu() -> None:
    message = error_of(minimal(trialGpuNumber=1))
    assert message.startswith("trainingService.useActiveGpu: must be set when trialGpuNumber > 0")
    assert "useActiveGpu: false" in message
    config = parse_config(
        minimal(trialGpuNumber=1, trainingService={"platform": "local", "useActiveGpu": False})
    )
    assert config.trial_gpu_number == 1


def test_zero_gpus_needs_no_use_active_gpu() -> None:
    assert parse_config(minimal(trialGpuNumber=0)).trial_gpu_number == 0


def test_max_trial_number_per_gpu_needs_trial_gpu_number() -> None:
    message = error_of(minimal(trainingService={"platform": "local", "maxTrialNumberPerGpu": 2}))
    assert message.startswith("trainingService.maxTrialNumberPerGpu: needs trialGpuNumber")
    assert "got 2" in message


@pytest.mark.parametrize("platform", ["remote", "openpai", "aml", "dlc", "kubeflow", "frameworkcontroller"])
def test_nni_only_platforms_are_rejected(platform: str) -> None:
    message = error_of(minimal(trainingService={"platform": platform}))
    assert message.startswith("trainingService.platform:")
    assert repr(platform) in message
    assert "local, dask" in message


def test_unknown_platform_suggests() -> None:
    message = error_of(minimal(trainingService={"platform": "locl"}))
    assert 'did you mean "local"?' in message


def test_hybrid_list_is_rejected_but_one_element_list_is_accepted() -> None:
    message = error_of(minimal(trainingService=[{"platform": "local"}, {"platform": "remote"}]))
    assert message.startswith("trainingService: hybrid training services")
    config = parse_config(minimal(trainingService=[{"platform": "local"}]))
    assert config.training_service is not None
    assert config.training_service.platform == "local"


def test_missing_platform() -> None:
    message = error_of(minimal(trainingService={"useActiveGpu": True}))
    assert message.startswith("trainingService.platform: required")


def test_missing_training_service_is_required_but_a_missing_tuner_means_auto() -> None:
    message = error_of(minimal(trainingService=_DROP, tuner=_DROP))
    assert "trainingService: required" in message
    assert "tuner" not in message  # no tuner: the manager uses Auto
    assert parse_config(minimal(tuner=_DROP)).tuner is None


def test_use_annotation_is_not_supported() -> None:
    message = error_of(minimal(useAnnotation=True))
    assert message.startswith("useAnnotation: is not supported")
    assert "got True" in message
    assert parse_config(minimal(useAnnotation=False)).use_annotation is False


@pytest.mark.parametrize("url", ["mysql://x/y", "sqlite:///tmp/db", "postgresql", 5])
def test_bad_storage_url(url: Any) -> None:
    message = error_of(minimal(storage=url))
    assert message.startswith("storage: must be a PostgreSQL URL starting with postgresql://")
    assert repr(url) in message


def test_good_storage_url() -> None:
    url = "postgresql://user:pw@db:5432/tunelab"
    assert parse_config(minimal(storage=url)).storage == url


def test_log_level() -> None:
    message = error_of(minimal(logLevel="verbose"))
    assert message.startswith("logLevel: must be one of trace, debug, info, warning, error, fatal")
    assert "'verbose'" in message
    assert parse_config(minimal(logLevel="WARNING")).log_level == "warning"


def test_experiment_type_nas_is_rejected() -> None:
    assert error_of(minimal(experimentType="nas")).startswith("experimentType: must be one of hpo")


def test_tuner_needs_name_or_class() -> None:
    message = error_of(minimal(tuner={"classArgs": {"optimize_mode": "maximize"}}))
    assert message.startswith("tuner.name: required, but neither name nor className is set")


def test_tuner_name_and_class_are_exclusive(tmp_path: Path) -> None:
    message = error_of(minimal(tuner={"name": "TPE", "className": "m.T", "codeDirectory": "."}), tmp_path)
    assert "name and className are exclusive" in message


def test_tuner_class_name_needs_module(tmp_path: Path) -> None:
    message = error_of(minimal(tuner={"className": "MyTuner"}), tmp_path)
    assert message.startswith('tuner.className: must be "module.ClassName"')


def test_tuner_code_directory_must_exist(tmp_path: Path) -> None:
    message = error_of(minimal(tuner={"className": "m.T", "codeDirectory": "gone"}), tmp_path)
    assert message.startswith("tuner.codeDirectory: directory not found")


def test_advisor_is_copied_into_tuner() -> None:
    config = parse_config(minimal(tuner=_DROP, advisor={"name": "Hyperband", "classArgs": {"R": 60}}))
    assert config.advisor is None
    assert config.tuner is not None
    assert config.tuner.name == "Hyperband"
    assert config.tuner.class_args == {"R": 60}


def test_advisor_and_tuner_together_is_an_error() -> None:
    message = error_of(minimal(advisor={"name": "Hyperband"}))
    assert message.startswith("advisor: deprecated and cannot be combined with tuner")


def test_gpu_indices_forms() -> None:
    service = {"platform": "local", "useActiveGpu": True, "gpuIndices": "0, 2"}
    config = parse_config(minimal(trialGpuNumber=1, trainingService=service, tunerGpuIndices=1))
    assert config.training_service is not None
    assert config.training_service.gpu_indices == [0, 2]  # type: ignore[union-attr]
    assert config.tuner_gpu_indices == [1]
    message = error_of(minimal(tunerGpuIndices="a,b"))
    assert message.startswith("tunerGpuIndices: must be a list of GPU indices")


def test_dask_config_is_parsed_and_checked() -> None:
    service = {"platform": "dask", "schedulerAddress": "tcp://10.0.0.5:8786", "resources": {"GPU": 1}}
    config = parse_config(minimal(trainingService=service))
    assert config.training_service is not None
    assert config.training_service.platform == "dask"
    assert config.training_service.resources == {"GPU": 1.0}  # type: ignore[union-attr]
    message = error_of(minimal(trainingService={"platform": "dask", "nWorkers": 0}))
    assert message.startswith("trainingService.nWorkers: must be an integer > 0")
    message = error_of(minimal(trainingService={"platform": "dask", "resources": {"GPU": -1}}))
    assert message.startswith("trainingService.resources: must map resource names")


def test_all_problems_are_reported_at_once() -> None:
    message = error_of(minimal(trialConcurrency=0, maxTrialNumber=0, logLevel="loud"))
    assert message.startswith("the experiment config has 3 problems:")
    for key in ("trialConcurrency", "maxTrialNumber", "logLevel"):
        assert f"  - {key}:" in message


def test_python_api_validate_names_the_camel_case_field() -> None:
    config = ExperimentConfig("local")
    config.tuner.name = "TPE"  # type: ignore[union-attr]
    config.search_space = SPACE
    config.trial_command = "python3 train.py"
    config.trial_concurrency = -1
    with pytest.raises(ConfigError, match=r"^trialConcurrency: must be an integer > 0, got -1"):
        config.validate()
