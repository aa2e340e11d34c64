"""The platform registry: a ``trainingService.platform`` name, its config class and how to build its runner.

Config loading, runner building and the config's cross-checks all read this one table, so a new platform is
one module plus one registration: :func:`register_platform` from code, or, from a third-party package, an
entry point in the group ``tunelab.platforms`` whose object is a :class:`Platform` (or a callable returning
one). Entry points are loaded the first time a name is not found, so ``platform: local`` never pays for them.

The runner factory is named by a ``"module:function"`` string (or given as a callable): this package sits
below :mod:`tunelab.runners` and must not import it; the manager resolves the factory when it builds the
runner, with ``factory(service, config, experiment_dir, sink)``.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tunelab.base import ConfigError, did_you_mean

#: The entry-point group third-party platforms register under.
ENTRY_POINT_GROUP = "tunelab.platforms"
#: NNI training services that tunelab deliberately does not implement (they get a pointed message).
NNI_ONLY_PLATFORMS = frozenset(
    {"remote", "openpai", "pai", "paiyarn", "aml", "dlc", "kubeflow", "frameworkcontroller", "adl", "hybrid"}
)


@dataclass(frozen=True, slots=True)
class Platform:
    """One place trials can run.

    ``config_class``: the dataclass of its ``trainingService`` section (a ``ConfigBase`` with a ``platform``
    class variable equal to ``name``). ``runner``: ``"module:function"`` or the function itself, called as
    ``runner(service, config, experiment_dir, sink)`` and returning a :class:`tunelab.runners.Runner`.
    ``code_is_local``: whether ``trialCodeDirectory`` must exist on this machine (False where trials run on
    other machines, which must each have it). ``gpu_check``: ``"module:function"`` or a function
    ``(config) -> str | None`` saying why the GPUs a config asks for can never be had (None: they can), run
    before any trial starts.
    """

    name: str
    config_class: type
    runner: str | Callable[..., Any]
    code_is_local: bool = True
    gpu_check: str | Callable[..., str | None] | None = None

    def runner_factory(self) -> Callable[..., Any]:
        return _resolve(self.runner, f"platform {self.name!r} runner")

    def gpu_problem(self, config: Any) -> str | None:
        return None if self.gpu_check is None else _resolve(self.gpu_check, f"platform {self.name!r} gpu_check")(config)


_registry: dict[str, Platform] = {}
_lock = threading.Lock()
_entry_points_loaded = False


def register_platform(platform: Platform, *, replace: bool = False) -> None:
    """Make ``platform.name`` a valid ``trainingService.platform``; ``replace`` to override one registered."""
    name = platform.name
    if not isinstance(name, str) or not name or name != name.lower():
        raise ConfigError(f"platform name: must be a non-empty lower-case string, got {name!r}")
    if getattr(platform.config_class, "platform", None) != name:
        raise ConfigError(
            f"platform {name!r}: its config class {platform.config_class.__name__} must declare "
            f"platform: ClassVar[str] = {name!r}"
        )
    with _lock:
        if name in _registry and not replace and _registry[name] != platform:
            raise ConfigError(f"platform {name!r} is registered already; pass replace=True to override it")
        _registry[name] = platform


def get_platform(name: Any, *, where: str = "trainingService.platform") -> Platform:
    """The registered platform called ``name`` (any case); :class:`ConfigError` naming the choices otherwise."""
    key = name.lower() if isinstance(name, str) else name
    if isinstance(key, str) and key not in _registry:
        _load_entry_points()
    if isinstance(key, str) and key in _registry:
        return _registry[key]
    supported = ", ".join(platform_names())
    if key in NNI_ONLY_PLATFORMS:
        raise ConfigError(
            f"{where}: NNI's {name!r} training service is not supported by tunelab, got {name!r}; "
            f"tunelab supports the platforms {supported}: use platform: local to run trials on this machine "
            "or platform: dask to run them on a Dask cluster"
        )
    hint = did_you_mean(key, _registry) if isinstance(key, str) else ""
    raise ConfigError(f"{where}: must be one of {supported}, got {name!r}{hint}; write e.g. platform: local")


def platform_names() -> list[str]:
    """Every registered platform's name, built-in ones first."""
    _load_entry_points()
    return list(_registry)


def is_platform(name: Any) -> bool:
    return isinstance(name, str) and name.lower() in platform_names()


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry.load()
            platform = loaded() if callable(loaded) and not isinstance(loaded, Platform) else loaded
            if not isinstance(platform, Platform):
                raise TypeError(f"it gave {type(platform).__name__}, not a tunelab Platform")
            register_platform(platform)
        except Exception as exc:  # a broken plugin must not break every experiment: say which and go on
            import warnings

            warnings.warn(f"tunelab platform plugin {entry.name!r} ({entry.value}) could not be loaded: {exc}",
                          RuntimeWarning, stacklevel=2)


def _resolve(target: str | Callable[..., Any], what: str) -> Callable[..., Any]:
    if callable(target):
        return target
    module, _, attribute = target.partition(":")
    try:
        resolved: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"{what}: cannot load {target!r}: {exc}") from None
    if not callable(resolved):
        raise ConfigError(f"{what}: {target!r} is not callable")
    return resolved
