"""Hosting an opened experiment: the manager loop and its HTTP server on one event loop."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import signal
import socket
import time
from collections.abc import Callable

from tunelab.manager import ManagerInfo, Mode, Session, clear_info, experiments_root, write_info
from tunelab.server import AppContext, AppServer, ServerSettings, create_app, is_loopback
from tunelab.trial import ExperimentStatus


def server_settings(host: str, port: int, token: str | None) -> ServerSettings:
    """A token is mandatory beyond loopback: generated when the user gave none."""
    if not is_loopback(host) and not token:
        token = secrets.token_urlsafe(24)
    return ServerSettings(host=host, port=port, token=token)


async def host_session(
    session: Session,
    sock: socket.socket,
    settings: ServerSettings,
    *,
    on_ready: Callable[[ManagerInfo], None] | None = None,
    on_finish: Callable[[], None] | None = None,
) -> ExperimentStatus:
    """Serve ``session`` until its manager ends (or, for a view, until SIGINT/SIGTERM)."""
    context = AppContext(
        experiment_id=session.experiment_id,
        store=session.store,
        experiment_dir=session.experiment_dir,
        experiments_root=experiments_root(session.config.experiment_working_directory)
        if session.mode != Mode.VIEW else session.experiment_dir.parent,
        manager=session.manager,
    )
    # The port really bound (``--port 0`` lets the system choose): the Host and Origin guards, the pointer
    # file the CLI reads and the printed URL must all name it, or every client is refused.
    port = sock.getsockname()[1]
    settings = dataclasses.replace(settings, port=port)
    server = AppServer(create_app(context, settings), sock)
    await server.start()
    url = f"http://{settings.host if ':' not in settings.host else '[' + settings.host + ']'}:{port}/"
    info = ManagerInfo(experiment_id=session.experiment_id, pid=os.getpid(), host=settings.host, port=port, url=url, mode=session.mode.value,
                       started_at=time.time(), token=settings.token)
    write_info(session.experiment_dir, info)
    stop_event = asyncio.Event()
    loop = asyncio.get_running_loop()
    manager = session.manager

    stop_tasks: list[asyncio.Task[None]] = []

    def request_stop() -> None:
        stop_event.set()
        if manager is not None:
            stop_tasks.append(loop.create_task(manager.stop()))

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, request_stop)
    try:
        if on_ready is not None:
            on_ready(info)
        if manager is not None:
            status = await manager.run()
        else:
            await stop_event.wait()
            status = ExperimentStatus.VIEWED
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await server.stop()
        context.close()  # the API's extra read-only connection
        clear_info(session.experiment_dir)
        if on_finish is not None:
            on_finish()  # e.g. the progress view's last render, while the store is still open
        session.close()
    return status
