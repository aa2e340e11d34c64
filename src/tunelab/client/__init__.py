"""How a process reaches or hosts a manager: shared by the CLI, the Python ``Experiment`` API and the demo.

* reaching an experiment: :func:`connect` gives the live manager's REST client (:class:`LiveBackend`) when
  one serves it, else a read-only view of its database (:class:`OfflineBackend`);
* launching: :func:`spawn_manager` starts a detached ``tunelab _serve`` and waits until it serves (or says
  why it cannot), :func:`start_detached` does so for a new experiment's config; the detached process
  answers through :func:`report_ready` / :func:`report_error`;
* hosting in this process: :func:`host_session` serves an opened session and runs its manager on one event
  loop, :class:`ProgressView` is the terminal progress line of a foreground run;
* printing what users control: :class:`SafeConsole`, :func:`safe`, :func:`for_terminal`.

Names load on first use: a read command (``tunelab best``) must not pay for the web framework or httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tunelab.base import lazy_attributes

if TYPE_CHECKING:
    from tunelab.client._backend import Backend, LiveBackend, OfflineBackend, connect, storage_of
    from tunelab.client._host import host_session, server_settings
    from tunelab.client._launch import report_error, report_ready, spawn_manager, start_detached
    from tunelab.client._progress import ProgressView
    from tunelab.client._safe import SafeConsole, for_terminal, safe, visible_controls

_LAZY = {
    "Backend": "tunelab.client._backend",
    "LiveBackend": "tunelab.client._backend",
    "OfflineBackend": "tunelab.client._backend",
    "ProgressView": "tunelab.client._progress",
    "SafeConsole": "tunelab.client._safe",
    "connect": "tunelab.client._backend",
    "for_terminal": "tunelab.client._safe",
    "host_session": "tunelab.client._host",
    "report_error": "tunelab.client._launch",
    "report_ready": "tunelab.client._launch",
    "safe": "tunelab.client._safe",
    "server_settings": "tunelab.client._host",
    "spawn_manager": "tunelab.client._launch",
    "start_detached": "tunelab.client._launch",
    "storage_of": "tunelab.client._backend",
    "visible_controls": "tunelab.client._safe",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "Backend",
    "LiveBackend",
    "OfflineBackend",
    "ProgressView",
    "SafeConsole",
    "connect",
    "for_terminal",
    "host_session",
    "report_error",
    "report_ready",
    "safe",
    "server_settings",
    "spawn_manager",
    "start_detached",
    "storage_of",
    "visible_controls",
]
