"""Live updates as server-sent events: only what changed (trials, metrics, status, config)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from tunelab.base import json_dumps
from tunelab.server._context import AppContext
from tunelab.server._deps import get_context

router = APIRouter(prefix="/api/v1", tags=["events"])
KEEPALIVE_S = 15.0


@router.get("/events")
async def events(request: Request, context: AppContext = Depends(get_context)) -> StreamingResponse:
    feed = context.manager.feed if context.manager is not None else context.feed

    async def stream() -> AsyncIterator[str]:
        async with feed.subscribe() as queue:
            yield f"event: hello\ndata: {json_dumps({'seq': feed.sequence})}\n\n"
            while not await request.is_disconnected():
                try:
                    change = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_S)
                except asyncio.TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                batch = [change]
                while not queue.empty() and len(batch) < 500:
                    batch.append(queue.get_nowait())  # coalesce bursts into one message
                # Strict JSON (NaN as "NaN"): the browser's JSON.parse rejects a bare NaN, losing the batch.
                yield f"event: changes\ndata: {json_dumps(batch, default=str)}\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
