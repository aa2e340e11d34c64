"""A short-lived snapshot of all trials, shared by the chart routes.

Listing 10,000 trials costs a few hundred milliseconds, and the chart routes each need all of them; the
snapshot is reused while the trial counts are unchanged and, for a live experiment, for ``LIVE_TTL_S``
at most (finals and messages can change without changing counts). A viewed experiment has no writer, so
its snapshot lives until the counts change.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from tunelab.server._context import AppContext
from tunelab.trial import Trial

LIVE_TTL_S = 2.0


class TrialSnapshot:
    """Thread-safe: FastAPI runs sync routes in a thread pool."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[object, ...] | None = None
        self._taken = 0.0
        self._trials: Sequence[Trial] = ()
        self._results: dict[tuple[object, ...], Any] = {}

    def trials(self, context: AppContext) -> Sequence[Trial]:
        key = tuple(sorted((s.value, n) for s, n in context.reader.count_trials().items()))
        with self._lock:
            fresh = self._key == key and (
                context.manager is None or time.monotonic() - self._taken < LIVE_TTL_S
            )
            if not fresh:
                self._trials = context.reader.list_trials()
                self._key, self._taken = key, time.monotonic()
                self._results = {}
            return self._trials

    def computed(self, context: AppContext, name: tuple[object, ...],
                 compute: Callable[[Sequence[Trial]], Any]) -> Any:
        """``compute(trials)`` for the current snapshot, remembered until the snapshot is replaced.

        Callers must treat the result as read-only: it is shared by every request of this snapshot.
        """
        trials = self.trials(context)
        with self._lock:
            if self._trials is trials and name in self._results:
                return self._results[name]
        result = compute(trials)
        with self._lock:
            if self._trials is trials:
                self._results[name] = result
        return result
