"""Convert NNI's legacy v1 config (top-level ``trainingServicePlatform``) to the v2 form.

The tables below are the whole mapping; keys match case- and underscore-insensitively like v2 keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from tunelab.base import ConfigError, did_you_mean
from tunelab.config._fields import norm_key
from tunelab.config._platforms import is_platform
from tunelab.config._training_service import platform_class

#: v1 top-level key -> v2 key, or None when the key has no v2 meaning and is dropped.
_TOP: dict[str, str | None] = {
    "authorName": None,
    "description": None,
    "experimentName": "experimentName",
    "trialConcurrency": "trialConcurrency",
    "maxExecDuration": "maxExperimentDuration",
    "maxTrialNum": "maxTrialNumber",
    "maxTrialDuration": "maxTrialDuration",
    "searchSpacePath": "searchSpaceFile",
    "nniManagerIp": "nniManagerIp",
    "logDir": "experimentWorkingDirectory",
    "debug": "debug",
    "logLevel": "logLevel",
    "useAnnotation": "useAnnotation",
    "multiThread": None,
    "versionCheck": None,
    "logCollection": None,
}
#: v1 keys handled by dedicated code below (or configuring NNI-only platforms, dropped after the check).
_SPECIAL = (
    "trainingServicePlatform", "trial", "tuner", "assessor", "advisor", "localConfig", "multiPhase",
    "remoteConfig", "machineList", "paiConfig", "paiYarnConfig", "amlConfig", "dlcConfig", "kubeflowConfig",
    "frameworkcontrollerConfig", "hybridConfig", "sharedStorage",
)  # fmt: skip
_TRIAL = {"command": "trialCommand", "codeDir": "trialCodeDirectory", "gpuNum": "trialGpuNumber"}
_LOCAL = {
    "gpuIndices": "gpuIndices",
    "maxTrialNumPerGpu": "maxTrialNumberPerGpu",
    "useActiveGpu": "useActiveGpu",
}
_ALGORITHM = (
    "builtinTunerName", "builtinAssessorName", "builtinAdvisorName", "classArgs", "codeDir",
    "classFileName", "className", "includeIntermediateResults", "gpuIndices", "gpuNum",
)  # fmt: skip


def convert_v1(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return the v2 equivalent of the v1 config ``data`` (paths left as written).

    Raises :class:`ConfigError` for unknown v1 keys, ``multiPhase: true`` and platforms tunelab does not run.
    """
    return convert_v1_with_notes(data)[0]


def convert_v1_with_notes(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """:func:`convert_v1` plus human-readable notes on the v1 keys that were dropped."""
    v1 = _normalized(data, [*_TOP, *_SPECIAL], where="")
    platform = v1.get("trainingServicePlatform")
    platform_class(platform, where="trainingServicePlatform")
    if v1.get("multiPhase"):
        raise ConfigError(
            "multiPhase: not supported (NNI removed multi-phase trials), got true; "
            "remove multiPhase and report one final result per trial"
        )
    v2: dict[str, Any] = {}
    dropped = [key for key, target in _TOP.items() if target is None and key in v1]
    for key, target in _TOP.items():
        if target is not None and key in v1:
            v2[target] = v1[key]
    v2.update(_trial(v1.get("trial")))
    for role in ("tuner", "assessor", "advisor"):
        if v1.get(role) is not None:
            target = "tuner" if role == "advisor" and "tuner" not in v1 else role
            v2[target], notes = _algorithm(v1[role], role, v2)
            dropped += notes
    v2["trainingService"] = _local(v1.get("localConfig"), v2, str(platform).lower())
    notes = [f"dropped v1 key {key} (no v2 equivalent)" for key in dropped]
    return v2, notes


def _normalized(data: Any, keys: list[str] | tuple[str, ...], *, where: str) -> dict[str, Any]:
    """Rename ``data``'s keys to the canonical spelling in ``keys``; unknown keys raise ConfigError."""
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{where.rstrip('.') or 'config'}: must be a mapping, got {data!r:.80}; fix the v1 file"
        )
    table = {norm_key(k): k for k in keys}
    out: dict[str, Any] = {}
    for key, value in data.items():
        canonical = table.get(norm_key(key)) if isinstance(key, str) else None
        if canonical is None:
            raise ConfigError(
                f"{where}{key}: unknown v1 key{did_you_mean(str(key), keys)}; the v1 keys allowed here are "
                f"{', '.join(keys)} (or convert the file to the v2 format)"
            )
        if value is not None:
            out[canonical] = value
    return out


def _trial(trial: Any) -> dict[str, Any]:
    if trial is None:
        return {}
    fields = _normalized(trial, list(_TRIAL), where="trial.")
    return {_TRIAL[key]: value for key, value in fields.items()}


def _algorithm(section: Any, role: str, v2: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    fields = _normalized(section, _ALGORITHM, where=f"{role}.")
    out: dict[str, Any] = {}
    notes: list[str] = []
    for key in ("builtinTunerName", "builtinAssessorName", "builtinAdvisorName"):
        if key in fields:
            out["name"] = fields[key]
    if "className" in fields:
        module = PurePath(str(fields.get("classFileName", ""))).stem
        out["className"] = f"{module}.{fields['className']}" if module else fields["className"]
    if "codeDir" in fields:
        out["codeDirectory"] = fields["codeDir"]
    if "classArgs" in fields:
        out["classArgs"] = fields["classArgs"]
    if "gpuIndices" in fields and role != "assessor":
        v2["tunerGpuIndices"] = fields["gpuIndices"]
    notes += [f"{role}.{key}" for key in ("includeIntermediateResults", "gpuNum") if key in fields]
    return out, notes


def _local(section: Any, v2: dict[str, Any], platform: str) -> dict[str, Any]:
    service: dict[str, Any] = {"platform": platform}
    if section is not None and is_platform(platform):
        fields = _normalized(section, list(_LOCAL), where="localConfig.")
        service.update({_LOCAL[key]: value for key, value in fields.items()})
    gpus = v2.get("trialGpuNumber")
    if isinstance(gpus, int) and gpus > 0 and "useActiveGpu" not in service:
        service["useActiveGpu"] = False  # v1's default; v2 makes it explicit when trials use GPUs
    return service
