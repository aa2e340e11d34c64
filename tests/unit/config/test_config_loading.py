"""Loading config files: key matching, path resolution, JSON/YAML, round trips and v1 conversion."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml

from tunelab.base import ConfigError
from tunelab.config import (
    AlgorithmConfig,
    ConfigWarning,
    CustomAlgorithmConfig,
    LocalConfig,
    convert_v1,
    load_config,
    parse_config,
)

SPACE_JSON = (
    '{"lr": {"_type": "loguniform", "_value": [0.0001, 0.1]}, "bs": {"_type": "choice", "_value": [16, 32]}}'
)


def write(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(content))
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder laid out like NNI's examples: config, search space and code side by side."""
    write(tmp_path / "exp" / "search_space.json", SPACE_JSON)
    (tmp_path / "exp" / "code").mkdir()
    write(
        tmp_path / "exp" / "config.yml",
        """\
        experimentName: mnist
        searchSpaceFile: search_space.json
        trialCommand: python3 mnist.py
        trialCodeDirectory: code
        trialConcurrency: 2
        maxExperimentDuration: 0.5h
        maxTrialNumber: 10
        experimentWorkingDirectory: ~/my-experiments
        tuner:
          name: TPE
          classArgs:
            optimize_mode: maximize
        trainingService:
          platform: local
        """,
    )
    return tmp_path / "exp"


def test_yaml_file_paths_resolve_against_its_folder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project.parent)  # the current directory must not matter
    config = load_config(project / "config.yml")
    assert config.search_space_file == str(project / "search_space.json")
    assert config.trial_code_directory == str(project / "code")
    assert config.experiment_working_directory == str(Path.home() / "my-experiments")
    assert config.max_experiment_duration == "0.5h"
    assert config.max_experiment_duration_s == 1800.0
    assert config.max_trial_duration_s is None
    assert config.resolved_search_space()["bs"] == {"_type": "choice", "_value": [16, 32]}


def test_default_trial_code_directory_is_the_config_folder(project: Path) -> None:
    text = (project / "config.yml").read_text().replace("trialCodeDirectory: code\n", "")
    config = load_config(write(project / "other.yml", text))
    assert config.trial_code_directory == str(project)


def test_json_config_file(project: Path) -> None:
    data = {
        "searchSpaceFile": "search_space.json",
        "trialCommand": "python3 mnist.py",
        "trialConcurrency": 1,
        "tuner": {"name": "Random"},
        "trainingService": {"platform": "local"},
    }
    config = load_config(write(project / "config.json", json.dumps(data)))
    assert config.search_space_file == str(project / "search_space.json")


@pytest.mark.parametrize(
    "key", ["trialConcurrency", "trial_concurrency", "_TRIALCONCURRENCY_", "TrialConcurrency"]
)
def test_keys_are_case_and_underscore_insensitive(project: Path, key: str) -> None:
    text = (project / "config.yml").read_text().replace("trialConcurrency", key)
    text = text.replace("classArgs", "class_args").replace("optimize_mode", "optimize_mode")
    config = load_config(write(project / "k.yml", text))
    assert config.trial_concurrency == 2
    assert config.tuner == AlgorithmConfig(name="TPE", class_args={"optimize_mode": "maximize"})


def test_class_args_keys_are_kept_verbatim() -> None:
    config = parse_config(
        {"searchSpace": {}, "trialCommand": "x", "trialConcurrency": 1, "trainingService": {"platform": "local"},
         "tuner": {"name": "TPE", "classArgs": {"optimize_mode": "maximize", "seed": 3}}}
    )  # fmt: skip
    assert config.tuner is not None
    assert config.tuner.class_args == {"optimize_mode": "maximize", "seed": 3}


def test_null_means_unset(project: Path) -> None:
    text = (project / "config.yml").read_text() + "maxTrialDuration: null\nlogLevel: ~\n"
    config = load_config(write(project / "n.yml", text))
    assert config.max_trial_duration is None
    assert config.log_level is None


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read it"):
        load_config(tmp_path / "absent.yml")
    with pytest.raises(ConfigError, match="not valid YAML/JSON"):
        load_config(write(tmp_path / "bad.yml", "a: [1, 2\n"))
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_config(write(tmp_path / "list.yml", "- 1\n- 2\n"))


def test_search_space_file_in_yaml_format(project: Path) -> None:
    write(project / "space.yml", "x:\n  _type: choice\n  _value: [a, b]\n")
    text = (project / "config.yml").read_text().replace("search_space.json", "space.yml")
    config = load_config(write(project / "y.yml", text))
    assert config.resolved_search_space() == {"x": {"_type": "choice", "_value": ["a", "b"]}}


def test_round_trip_through_to_dict(project: Path) -> None:
    config = load_config(project / "config.yml")
    data = config.to_dict()
    assert "searchSpaceFile" not in data
    assert data["searchSpace"] == json.loads(SPACE_JSON)
    assert data["trialCodeDirectory"] == str(project / "code")
    assert data["trainingService"]["platform"] == "local"
    assert json.loads(json.dumps(data)) == data  # JSON-able
    rebuilt = parse_config(data)
    assert rebuilt == config
    assert rebuilt.to_dict() == data


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    (tmp_path / "tuners").mkdir()
    data = {
        "experimentName": "all",
        "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
        "trialCommand": "python3 t.py",
        "trialCodeDirectory": str(tmp_path),
        "trialConcurrency": 3,
        "trialGpuNumber": 1,
        "maxExperimentDuration": "2h",
        "maxTrialNumber": 50,
        "maxTrialDuration": 600,
        "maxTrialRetries": 2,
        "nniManagerIp": "10.0.0.2",
        "debug": True,
        "logLevel": "debug",
        "experimentWorkingDirectory": str(tmp_path / "work"),
        "storage": "postgresql://u:p@h/db",
        "tunerGpuIndices": [0],
        "tuner": {"className": "my_tuner.MyTuner", "codeDirectory": "tuners", "classArgs": {"a": 1}},
        "assessor": {"name": "Medianstop", "classArgs": {"start_step": 5}},
        "trainingService": {
            "platform": "local",
            "useActiveGpu": True,
            "maxTrialNumberPerGpu": 2,
            "gpuIndices": [0, 1],
        },
    }
    config = parse_config(data, base_dir=tmp_path)
    assert isinstance(config.tuner, CustomAlgorithmConfig)
    assert config.tuner.code_directory == str(tmp_path / "tuners")
    dumped = config.to_dict()
    assert parse_config(dumped) == config
    assert dumped["tuner"]["codeDirectory"] == str(tmp_path / "tuners")
    assert dumped["trainingService"]["maxTrialNumberPerGpu"] == 2
    assert dumped["maxTrialRetries"] == 2
    assert dumped["storage"] == "postgresql://u:p@h/db"


def test_changed_config_is_not_equal(project: Path) -> None:
    config = load_config(project / "config.yml")
    other = config.copy()
    assert other == config
    other.trial_concurrency = 5
    assert other != config
    third = config.copy()
    assert third.tuner is not None
    third.tuner.class_args["optimize_mode"] = "minimize"
    assert config.tuner is not None
    assert config.tuner.class_args["optimize_mode"] == "maximize"  # deep copy
    assert third != config


def test_shortcut_fields_inside_training_service_are_lifted() -> None:
    data = {
        "searchSpace": {},
        "trialConcurrency": 1,
        "tuner": {"name": "Random"},
        "trainingService": {"platform": "local", "trialCommand": "python3 t.py", "trialGpuNumber": 0},
    }
    config = parse_config(data)
    assert config.trial_command == "python3 t.py"
    assert config.trial_gpu_number == 0
    data["trialCommand"] = "python3 other.py"
    with pytest.raises(ConfigError, match="differs from the top-level trialCommand"):
        parse_config(data)


def test_shared_storage_is_accepted_with_a_warning() -> None:
    data = {
        "searchSpace": {},
        "trialCommand": "x",
        "trialConcurrency": 1,
        "tuner": {"name": "Random"},
        "trainingService": {"platform": "local"},
        "sharedStorage": {"storageType": "NFS", "nfsServer": "10.0.0.1"},
    }
    with pytest.warns(ConfigWarning, match="sharedStorage is ignored"):
        config = parse_config(data)
    assert "sharedStorage" not in config.to_dict()


V1_YAML = """\
authorName: default
experimentName: example_mnist
trialConcurrency: 1
maxExecDuration: 1h
maxTrialNum: 10
trainingServicePlatform: local
searchSpacePath: search_space.json
useAnnotation: false
logDir: logs
tuner:
  builtinTunerName: TPE
  classArgs:
    optimize_mode: maximize
assessor:
  builtinAssessorName: Medianstop
  classArgs:
    optimize_mode: maximize
trial:
  command: python3 mnist.py
  codeDir: .
  gpuNum: 1
localConfig:
  useActiveGpu: true
  maxTrialNumPerGpu: 2
  gpuIndices: "0,1"
"""


def test_v1_file_is_converted(project: Path) -> None:
    config = load_config(write(project / "config_v1.yml", V1_YAML))
    assert config.experiment_name == "example_mnist"
    assert config.trial_command == "python3 mnist.py"
    assert config.trial_code_directory == str(project)
    assert config.trial_gpu_number == 1
    assert config.trial_concurrency == 1
    assert config.max_experiment_duration_s == 3600.0
    assert config.max_trial_number == 10
    assert config.search_space_file == str(project / "search_space.json")
    assert config.experiment_working_directory == str(project / "logs")
    assert config.tuner == AlgorithmConfig(name="TPE", class_args={"optimize_mode": "maximize"})
    assert config.assessor == AlgorithmConfig(name="Medianstop", class_args={"optimize_mode": "maximize"})
    assert config.training_service == LocalConfig(
        use_active_gpu=True, max_trial_number_per_gpu=2, gpu_indices=[0, 1]
    )
    printed = config.converted_from_v1_yaml
    assert printed is not None
    assert "# dropped v1 key authorName" in printed
    v2 = yaml.safe_load(printed)
    assert v2["trialCommand"] == "python3 mnist.py"
    assert v2["searchSpaceFile"] == "search_space.json"
    assert v2["trainingService"] == {
        "platform": "local",
        "useActiveGpu": True,
        "maxTrialNumberPerGpu": 2,
        "gpuIndices": "0,1",
    }


def test_v2_file_has_no_conversion(project: Path) -> None:
    assert load_config(project / "config.yml").converted_from_v1_yaml is None


def test_convert_v1_custom_tuner_and_defaults() -> None:
    v1 = {
        "trainingServicePlatform": "local",
        "trialConcurrency": 2,
        "trial": {"command": "python3 t.py", "codeDir": "src", "gpuNum": 2},
        "tuner": {
            "codeDir": "tuners",
            "classFileName": "my_tuner.py",
            "className": "MyTuner",
            "classArgs": {"k": 1},
        },
        "multiPhase": False,
        "versionCheck": True,
    }
    v2 = convert_v1(v1)
    assert v2["tuner"] == {"className": "my_tuner.MyTuner", "codeDirectory": "tuners", "classArgs": {"k": 1}}
    assert v2["trialCodeDirectory"] == "src"
    # v1's default useActiveGpu=false is made explicit so the converted config validates
    assert v2["trainingService"] == {"platform": "local", "useActiveGpu": False}
    assert "multiPhase" not in v2
    assert "versionCheck" not in v2


def test_convert_v1_advisor_becomes_tuner() -> None:
    v2 = convert_v1({"trainingServicePlatform": "local", "advisor": {"builtinAdvisorName": "BOHB"}})
    assert v2["tuner"] == {"name": "BOHB"}


def test_convert_v1_errors() -> None:
    with pytest.raises(ConfigError, match=r"^multiPhase: not supported"):
        convert_v1({"trainingServicePlatform": "local", "multiPhase": True})
    with pytest.raises(ConfigError, match=r"^trainingServicePlatform: NNI's 'pai'.*local, dask"):
        convert_v1({"trainingServicePlatform": "pai"})
    with pytest.raises(ConfigError, match=r'^trial.comand: unknown v1 key \(did you mean "command"\?\)'):
        convert_v1({"trainingServicePlatform": "local", "trial": {"comand": "x"}})
    with pytest.raises(ConfigError, match=r'did you mean "maxTrialNum"'):
        convert_v1({"trainingServicePlatform": "local", "maxTrialNumb": 3})
