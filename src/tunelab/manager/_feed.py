"""A small publish/subscribe feed of changes, for live UI updates (server-sent events)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

Change = dict[str, Any]


class Observer(Protocol):
    """Something outside the loop that follows the experiment (e.g. the MLflow logger): it gets every
    change as it is published, and :meth:`close` once the manager has stopped (called off the loop)."""

    def on_change(self, change: Change) -> None:
        """Must not block or raise: it runs inside the experiment loop's publish."""

    def close(self) -> None:
        """Finish up; may block (the manager runs it in a thread)."""


class ChangeFeed:
    """Fan-out of change records to any number of subscribers.

    Each subscriber has a bounded queue; one that falls behind gets a single ``{"type": "resync"}``
    instead of an ever-growing backlog, and re-reads the state through the REST API. Publishing never
    blocks the experiment loop.
    """

    def __init__(self, max_queue: int = 10_000) -> None:
        self._subscribers: set[asyncio.Queue[Change]] = set()
        self._max_queue = max_queue
        self._listeners: list[Callable[[Change], None]] = []
        self.sequence = 0

    def listen(self, callback: Callable[[Change], None]) -> None:
        """Call ``callback`` with every change, synchronously and in order (unlike a subscriber's queue,
        a listener never gets a resync): for observers that must see every trial and metric."""
        self._listeners.append(callback)

    def publish(self, change: Change) -> None:
        self.sequence += 1
        change = {**change, "seq": self.sequence}
        for listener in self._listeners:
            listener(change)
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(change)
            except asyncio.QueueFull:
                _drain(queue)
                queue.put_nowait({"type": "resync", "seq": self.sequence})

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Change]]:
        queue: asyncio.Queue[Change] = asyncio.Queue(self._max_queue)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)


def _drain(queue: asyncio.Queue[Change]) -> None:
    while True:
        try:
            queue.get_nowait()
        except asyncio.QueueEmpty:
            return
