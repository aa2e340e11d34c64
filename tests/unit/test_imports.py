"""``import tunelab`` in a trial process stays light, and public names are pinned."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_import_tunelab_loads_neither_numpy_nor_the_server() -> None:
    code = (
        "import sys, tunelab; heavy = [m for m in ('numpy', 'fastapi', 'uvicorn', 'tunelab.server', "
        "'tunelab.manager', 'tunelab.tuners', 'json', 'typing', 'logging', 'socket') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_lazy_public_names_resolve() -> None:
    import tunelab

    assert callable(tunelab.get_next_parameter)
    assert tunelab.ExperimentConfig.__name__ == "ExperimentConfig"
    with pytest.raises(AttributeError):
        tunelab.does_not_exist  # noqa: B018


@pytest.mark.parametrize(
    "module",
    ["tunelab", "tunelab.base", "tunelab.trial", "tunelab.trial_api", "tunelab.runners", "tunelab.manager",
     "tunelab.server", "tunelab.assessors", "tunelab.storage", "tunelab.space", "tunelab.config", "tunelab.tuners",
     "tunelab.client"],
)
def test_all_is_sorted_and_resolvable(module: str) -> None:
    import importlib

    mod = importlib.import_module(module)
    names = list(mod.__all__)
    assert len(set(names)) == len(names)
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions; alphabetical within each group
    assert names == sorted(names, key=lambda n: (0 if n.isupper() else 1 if n[:1].isupper() else 2, n))
    for name in names:
        assert getattr(mod, name) is not None
