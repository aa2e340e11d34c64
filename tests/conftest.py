"""Suite-wide isolation: no test sees the machine's experiments, data sets or caches.

A test that forgets its own TUNELAB_HOME writes under a private temporary one, never under the user's
``~/tunelab-experiments``; ``~`` itself points at a temporary folder, so fallbacks such as
``~/.cache/fashion-mnist`` find nothing the machine happens to hold; and variables a developer may have set
for their own work (a data directory, an experiment id of a trial shell) are cleared.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Variables whose values on a developer's machine would change what a test sees.
_CLEARED = ("FASHION_MNIST_DIR", "CUDA_VISIBLE_DEVICES")
_CLEARED_PREFIXES = ("TUNELAB_TRIAL", "TUNELAB_EXPERIMENT", "TUNELAB_SEQUENCE", "TUNELAB_OUTPUT", "NNI_")


@pytest.fixture(autouse=True, scope="session")
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        patch.setenv("TUNELAB_HOME", str(home / "tunelab-experiments"))
        for name in list(os.environ):
            if name in _CLEARED or name.startswith(_CLEARED_PREFIXES):
                patch.delenv(name)
        yield
