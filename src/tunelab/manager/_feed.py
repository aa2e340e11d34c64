"""A small publish/subscribe feed of changes, for live UI updates (server-sent events)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

Change = dict[str, Any]


class ChangeFeed:
    """Fan-out of change records to any number of subscribers.

    Each subscriber has a bounded queue; one that falls behind gets a single ``{"type": "resync"}``
    instead of an ever-growing backlog, and re-reads the state through the REST API. Publishing never
    blocks the experiment loop.
    """

    def __init__(self, max_queue: int = 10_000) -> None:
        self._subscribers: set[asyncio.Queue[Change]] = set()
        self._max_queue = max_queue
        self.sequence = 0

    def publish(self, change: Change) -> None:
        self.sequence += 1
        change = {**change, "seq": self.sequence}
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
