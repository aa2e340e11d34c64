"""Entry points that turn YAML/JSON files and plain mappings into an :class:`ExperimentConfig`."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tunelab.base import ConfigError, decode_text, yaml_load
from tunelab.config._experiment import ExperimentConfig
from tunelab.config._fields import camel, norm_key, resolve_path
from tunelab.config._v1 import convert_v1_with_notes

#: Keys NNI lets you write inside trainingService as well as at the top level ("shortcut fields").
_SHORTCUTS = ("trial_command", "trial_code_directory", "trial_gpu_number", "nni_manager_ip", "debug")


class ConfigWarning(UserWarning):
    """A config key was accepted but has no effect in tunelab (e.g. ``sharedStorage``)."""


def load_config(path: str | os.PathLike[str], *, validate: bool = True) -> ExperimentConfig:
    """Read a v2 or v1 experiment config from a YAML or JSON file.

    Relative paths inside resolve against the file's directory. With ``validate`` (the default) the
    result is checked with :meth:`ExperimentConfig.validate`. Raises :class:`ConfigError` for a missing
    or unparsable file and for every rule the config breaks.
    """
    import yaml

    file = Path(os.path.expanduser(os.fspath(path))).absolute()
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"config file {str(file)!r}: cannot read it ({exc.strerror}); check the path"
        ) from exc
    content = decode_text(raw, f"config file {str(file)!r}", ConfigError)
    try:
        data = (json.loads(content) if file.suffix.lower() == ".json"
                else yaml_load(content, f"config file {str(file)!r}", ConfigError))
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"config file {str(file)!r}: not valid YAML/JSON ({exc}); fix the syntax") from exc
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"config file {str(file)!r}: must hold a mapping of config keys, got {type(data).__name__}; "
            "write e.g. trialCommand: python3 train.py"
        )
    return parse_config(data, base_dir=file.parent, validate=validate)


def parse_config(
    data: Mapping[str, Any], *, base_dir: Path | None = None, validate: bool = True
) -> ExperimentConfig:
    """Build a config from a mapping with the same rules as :func:`load_config`.

    Relative paths resolve against ``base_dir`` (the current directory when None). A v1 mapping is
    converted first and its v2 YAML kept in ``config.converted_from_v1_yaml``. Unknown keys raise
    :class:`ConfigError` with a "did you mean" hint; ``sharedStorage`` warns (:class:`ConfigWarning`).
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"config: must be a mapping of config keys, got {type(data).__name__}; pass a dict")
    base = Path(base_dir).absolute() if base_dir is not None else Path.cwd()
    converted_yaml = None
    if any(isinstance(key, str) and norm_key(key) == "trainingserviceplatform" for key in data):
        data, notes = convert_v1_with_notes(data)
        converted_yaml = _v2_yaml(data, notes)
    config = ExperimentConfig()
    for name, value in ExperimentConfig._load_fields(_lift_shortcuts(data), where="", base_dir=base).items():
        setattr(config, name, value)
    if config.trial_code_directory == ".":  # NNI resolves the default against the file's folder too
        config.trial_code_directory = resolve_path(".", base)
    config.converted_from_v1_yaml = converted_yaml
    if config.shared_storage is not None:
        warnings.warn(
            "sharedStorage is ignored: tunelab runs trials on local or Dask workers that share your "
            "filesystem; remove the key to silence this warning",
            ConfigWarning,
            stacklevel=2,
        )
    if validate:
        config.validate()
    return config


def _lift_shortcuts(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """Move trialCommand & co. written inside trainingService up to the top level, where tunelab keeps them."""
    service_key = next((k for k in data if isinstance(k, str) and norm_key(k) == "trainingservice"), None)
    service = data.get(service_key) if service_key is not None else None
    if service_key is None or not isinstance(service, Mapping):
        return data
    shortcuts = {norm_key(name): name for name in _SHORTCUTS}
    lifted = {k: v for k, v in service.items() if isinstance(k, str) and norm_key(k) in shortcuts}
    if not lifted:
        return data
    top_keys = {norm_key(k): k for k in data if isinstance(k, str)}
    out = dict(data)
    for key, value in lifted.items():
        name = camel(shortcuts[norm_key(key)])
        top_key = top_keys.get(norm_key(key), name)
        existing = data.get(top_key)
        if existing is not None and value is not None and existing != value:
            raise ConfigError(
                f"trainingService.{key}: differs from the top-level {name}, got {value!r} and {existing!r}; "
                "keep one of them"
            )
        if existing is None and value is not None:
            out[top_key] = value
    out[service_key] = {k: v for k, v in service.items() if k not in lifted}
    return out


def _v2_yaml(v2: dict[str, Any], notes: list[str]) -> str:
    import yaml

    header = "".join(f"# {note}\n" for note in notes)
    return header + yaml.safe_dump(v2, sort_keys=False, allow_unicode=True)
