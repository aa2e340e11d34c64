"""Lets ``import nni`` work in an environment that has tunelab but not NNI (stdlib only, imported at startup).

``tunelab-nni.pth`` (installed next to this module in site-packages) calls :func:`install` when the
interpreter starts. It appends a finder to the *end* of ``sys.meta_path``, so it is asked only after every
regular finder has failed: a real ``nni`` anywhere on ``sys.path`` always wins, and the shim that the
manager puts first on a trial's ``PYTHONPATH`` is found by the regular path finder before this one. The
finder then supplies tunelab's ``nni`` shim (and the ``tunelab_nni_bridge`` module it imports), so a trial
script runs alone (``python3 mnist_nni.py``): ``get_next_parameter()`` returns ``{}`` and reports are logged.

Startup cost is this module's import and one list append; the shim is located only when ``nni`` is missing.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import ModuleSpec, PathFinder

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType

_NAMES = ("nni", "tunelab_nni_bridge")


def _shim_dir() -> str | None:
    spec = PathFinder.find_spec("tunelab")
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(next(iter(spec.submodule_search_locations)), "compat", "_shim")


class NniShimFinder:
    """Meta-path finder of last resort for ``nni`` and ``tunelab_nni_bridge``."""

    @classmethod
    def find_spec(
        cls, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        del path, target
        if fullname not in _NAMES:
            return None
        shim = _shim_dir()
        return PathFinder.find_spec(fullname, [shim]) if shim else None


def install() -> None:
    """Append the finder once (a second ``.pth`` run, e.g. ``site.addsitedir`` again, adds nothing)."""
    if not any(getattr(finder, "__name__", "") == NniShimFinder.__name__ for finder in sys.meta_path):
        sys.meta_path.append(NniShimFinder)
