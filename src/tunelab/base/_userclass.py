"""Import a user's algorithm class named in a config (``className`` + ``codeDirectory``), NNI style.

``className`` is ``module.Class`` (or ``package.module.Class``) relative to ``codeDirectory``. Classes
written for NNI import ``nni.tuner`` / ``nni.assessor``; when the real ``nni`` is not importable, the
directory of tunelab's ``nni`` shim is put on ``sys.path`` for the import.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from tunelab.base import ConfigError


def _nni_importable() -> bool:
    try:
        return importlib.util.find_spec("nni") is not None
    except (ImportError, ValueError):
        return False


def load_class(field: str, class_name: str, code_directory: str | Path | None) -> type[Any]:
    """The class ``class_name`` from ``code_directory``; ConfigError naming ``field`` when it fails."""
    if not isinstance(class_name, str) or not class_name.strip():
        raise ConfigError(f"{field}.className: must name a class like my_tuner.MyTuner, got {class_name!r}")
    module_name, _, attr = class_name.strip().rpartition(".")
    if not module_name:
        raise ConfigError(
            f"{field}.className: {class_name!r} has no module part; write it as <module>.<Class>, e.g. "
            f"my_tuner.{class_name}, with my_tuner.py in codeDirectory"
        )
    directory = Path(code_directory or ".").expanduser().resolve()
    if not directory.is_dir():
        raise ConfigError(f"{field}.codeDirectory: {str(directory)!r} is not a directory")
    added = [str(directory)]
    if not _nni_importable():
        from tunelab.base._nni_shim import SHIM_DIR

        added.append(str(SHIM_DIR))
    saved = list(sys.path)
    sys.path[:0] = added
    try:
        module = importlib.import_module(module_name)
    except ConfigError:
        raise
    except Exception as exc:  # any error in the user's module: report it with the field to fix
        raise ConfigError(
            f"{field}.className: cannot import module {module_name!r} from {str(directory)!r}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    finally:
        sys.path[:] = saved
    cls = getattr(module, attr, None)
    if not isinstance(cls, type):
        found = sorted(name for name, value in vars(module).items() if isinstance(value, type))
        raise ConfigError(
            f"{field}.className: module {module_name!r} has no class {attr!r}; classes there: "
            f"{', '.join(found) or '(none)'}"
        )
    return cls


def instantiate(field: str, cls: type[Any], args: dict[str, Any]) -> Any:
    try:
        return cls(**args)
    except TypeError as exc:
        raise ConfigError(f"{field}.classArgs: {cls.__name__}({', '.join(args)}) failed: {exc}") from exc
