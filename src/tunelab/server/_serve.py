"""Serving an app on the manager's own event loop, on a socket bound before anything else starts."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket

import uvicorn
from fastapi import FastAPI

from tunelab.base import InvalidInputError, check_port


class PortInUseError(InvalidInputError):
    """The port asked for is taken."""


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind early, so a taken port fails before the experiment starts and says what to do."""
    check_port(port)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio only sets TCP_NODELAY on accepted sockets whose proto is IPPROTO_TCP,
    # and without it Nagle holds the response body behind its headers until the client's delayed ACK
    # (about 40 ms per request on a keep-alive connection).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(
                f"port {port} on {host} is already in use; choose another with --port (e.g. --port {port + 1})"
            ) from None
        raise InvalidInputError(f"cannot listen on {host}:{port}: {exc.strerror}; check --host/--port") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the manager owns SIGINT/SIGTERM and stops cleanly itself."""

    @contextlib.contextmanager
    def capture_signals(self):  # type: ignore[no-untyped-def]
        yield

    def install_signal_handlers(self) -> None:
        return


class AppServer:
    """An app served on an already-bound socket, started and stopped from the caller's loop."""

    def __init__(self, app: FastAPI, sock: socket.socket) -> None:
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=2)
        self._server = _Server(config)
        self._sock = sock
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()  # surfaces the startup error
                return
            await asyncio.sleep(0.01)  # startup only: uvicorn has no "started" event to await

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
