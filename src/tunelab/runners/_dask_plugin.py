"""A Dask worker plugin that ends the trials of a worker that shuts down (imports ``distributed``).

Without it, a worker that closes (``dask worker`` stopped, or a local cluster's worker whose scheduler went
away with a killed manager) would leave its trial processes running: they live in their own sessions.
Kept apart from :mod:`tunelab.runners._dask_worker` so importing tunelab never imports ``distributed``.
"""

from __future__ import annotations

from typing import Any

from distributed.core import Status
from distributed.diagnostics.plugin import WorkerPlugin

from tunelab.runners import _dask_worker

PLUGIN_NAME = "tunelab-trial-reaper"
_CLOSING = frozenset({Status.closing, Status.closing_gracefully, Status.closed, Status.failed})


class TrialReaper(WorkerPlugin):
    """On worker shutdown, kill every trial the worker runs. Registered once per cluster (idempotent),
    so several managers sharing a cluster never replace (and so tear down) each other's plugin."""

    idempotent = True
    name = PLUGIN_NAME

    def teardown(self, worker: Any) -> None:
        # Teardown also runs when the plugin is removed from a live worker: only a closing worker kills.
        if getattr(worker, "status", None) in _CLOSING:
            _dask_worker.kill_all_attempts("the Dask worker shut down")
