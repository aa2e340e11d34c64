"""A synchronous in-process client for an ASGI app (httpx's ASGI transport, one event loop per call).

Each call runs its loop in a worker thread: the calling thread may already run a loop (Playwright's sync
API keeps one alive for the browser tests of the same session), and ``asyncio.run`` refuses to nest.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from fastapi import FastAPI


class ApiClient:
    """``get``/``post``/``patch`` like httpx.Client, against ``app`` without a socket."""

    def __init__(self, app: FastAPI, base_url: str = "http://127.0.0.1:18200") -> None:
        self.app = app
        self.base_url = base_url
        self.headers: dict[str, str] = {}

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=self.base_url, headers=self.headers) as client:
                return await client.request(method, url, **kwargs)

        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, send()).result()

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)
