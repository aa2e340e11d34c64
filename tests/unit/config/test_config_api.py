"""NNI's Python attribute API, durations and the package surface."""

from __future__ import annotations

from pathlib import Path

import pytest

import tunelab.config
from tunelab.base import ConfigError
from tunelab.config import (
    AlgorithmConfig,
    CustomAlgorithmConfig,
    DaskConfig,
    ExperimentConfig,
    LocalConfig,
    parse_config,
    parse_duration,
)


def test_exported_names_are_pinned() -> None:
    assert len(set(tunelab.config.__all__)) == len(tunelab.config.__all__)
    assert set(tunelab.config.__all__) == {
        "DEFAULT_MLFLOW_EXPERIMENT",
        "LOG_LEVELS",
        "MAX_TRIAL_CONCURRENCY",
        "AlgorithmConfig",
        "ConfigBase",
        "ConfigWarning",
        "CustomAlgorithmConfig",
        "DaskConfig",
        "ExperimentConfig",
        "Invalid",
        "LocalConfig",
        "MlflowConfig",
        "Platform",
        "TrainingServiceConfig",
        "convert_v1",
        "get_platform",
        "load_config",
        "parse_config",
        "parse_duration",
        "platform_names",
        "register_platform",
        "spec",
    }


@pytest.mark.parametrize(("value", "seconds"), [
    (10, 10.0), (2.5, 2.5), ("10", 10.0), ("10s", 10.0), ("30m", 1800.0), ("2h", 7200.0),
    ("0.5h", 1800.0), ("1d", 86400.0), ("1.5D", 129600.0), (" 3 m ", 180.0), (0, 0.0),
])  # fmt: skip
def test_parse_duration(value: object, seconds: float) -> None:
    assert parse_duration(value, field="maxTrialDuration") == seconds


@pytest.mark.parametrize(
    "value", ["2x", "", "h", "-1s", -1, True, None, "1e3s", float("nan"), float("inf"), [5]]
)
def test_parse_duration_rejects(value: object) -> None:
    with pytest.raises(ConfigError, match=r"^maxTrialDuration: not a duration, got .*\"0.5h\""):
        parse_duration(value, field="maxTrialDuration")


def test_placeholder_form_quickstart_pattern(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = ExperimentConfig("local")
    assert config == ExperimentConfig.for_platform("local")
    assert isinstance(config.training_service, LocalConfig)
    assert config.tuner is not None
    config.tuner.name = "TPE"
    config.tuner.class_args["optimize_mode"] = "maximize"
    config.search_space = {"x": {"_type": "randint", "_value": [0, 10]}}
    config.trial_command = "python3 trial.py"
    config.trial_code_directory = "."
    config.trial_concurrency = 2
    config.max_trial_number = 10
    config.max_experiment_duration = "1h"
    config.validate()
    assert config.trial_code_directory == str(tmp_path)  # normalized to an absolute path
    assert config.to_dict()["tuner"] == {"name": "TPE", "classArgs": {"optimize_mode": "maximize"}}
    assert config.max_experiment_duration_s == 3600.0


def test_placeholder_tuner_must_be_filled() -> None:
    config = ExperimentConfig("local")
    config.search_space = {}
    config.trial_command = "x"
    config.trial_concurrency = 1
    with pytest.raises(ConfigError, match=r"^tuner.name: required"):
        config.validate()


def test_dask_placeholder() -> None:
    config = ExperimentConfig.for_platform("dask")
    assert config.training_service == DaskConfig()
    assert config.training_service.n_workers == 2
    with pytest.raises(ConfigError, match="not supported by tunelab"):
        ExperimentConfig("remote")


def test_unknown_attribute_is_an_error() -> None:
    config = ExperimentConfig("local")
    with pytest.raises(
        ConfigError, match=r'trial_concurency: unknown field \(did you mean "trial_concurrency"\?\)'
    ):
        config.trial_concurency = 2  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="unknown field"):
        config.tuner.clas_args = {}  # type: ignore[union-attr]


def test_keyword_construction_accepts_both_spellings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "space.json").write_text("{}")
    config = ExperimentConfig(
        trial_command="python3 t.py",
        trialConcurrency=3,
        search_space_file="space.json",
        tuner={"name": "Random"},
        training_service="local",
    )
    assert config.trial_concurrency == 3
    assert config.search_space_file == str(tmp_path / "space.json")
    assert config.tuner == AlgorithmConfig(name="Random")
    config.validate()
    with pytest.raises(ConfigError, match="unknown key"):
        ExperimentConfig(trial_commmand="x")


def test_python_attributes_accept_mappings_and_platform_names() -> None:
    config = ExperimentConfig()
    config.search_space = {}
    config.trial_command = "x"
    config.trial_concurrency = 1
    config.tuner = {"name": "Anneal"}  # type: ignore[assignment]
    config.training_service = "local"  # type: ignore[assignment]
    config.validate()
    assert config.tuner == AlgorithmConfig(name="Anneal")
    assert config.training_service == LocalConfig()


def test_custom_algorithm_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    custom = CustomAlgorithmConfig("my_tuner.MyTuner", class_args={"k": 1})
    assert custom.code_directory == "."
    assert custom == AlgorithmConfig(
        class_name="my_tuner.MyTuner", code_directory=str(tmp_path), class_args={"k": 1}
    )
    assert custom.problems() == []
    assert custom.code_directory == str(tmp_path)


def test_copy_is_deep_and_equal() -> None:
    config = ExperimentConfig("local")
    config.tuner.name = "TPE"  # type: ignore[union-attr]
    clone = config.copy()
    assert clone == config
    clone.tuner.name = "Random"  # type: ignore[union-attr]
    assert config.tuner.name == "TPE"  # type: ignore[union-attr]


def test_resolved_search_space_is_a_copy() -> None:
    config = ExperimentConfig("local")
    config.search_space = {"x": {"_type": "choice", "_value": [1]}}
    config.resolved_search_space()["x"]["_value"].append(2)
    assert config.search_space == {"x": {"_type": "choice", "_value": [1]}}
    config.search_space = None
    with pytest.raises(ConfigError, match=r"^searchSpace: required"):
        config.resolved_search_space()


def test_resolved_working_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = ExperimentConfig("local")
    monkeypatch.delenv("TUNELAB_HOME", raising=False)
    assert config.resolved_working_directory() == Path.home() / "tunelab-experiments"
    monkeypatch.setenv("TUNELAB_HOME", str(tmp_path / "home"))
    assert config.resolved_working_directory() == tmp_path / "home"
    config.experiment_working_directory = str(tmp_path / "mine")
    assert config.resolved_working_directory() == tmp_path / "mine"


def test_parse_config_without_validation_keeps_partial_configs() -> None:
    config = parse_config({"trialConcurrency": 0}, validate=False)
    assert config.trial_concurrency == 0
    with pytest.raises(ConfigError):
        config.validate()
