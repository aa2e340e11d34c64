"""The live metric channel of local trials: a Unix stream socket receiving JSON lines."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import sys
from pathlib import Path

from tunelab.runners._protocol import MetricSink

_log = logging.getLogger(__name__)
_MAX_LINE = 2_000_000  # above the trial API's 1 MB metric limit
_CHUNK = 256 * 1024
#: Added to each message handed to the sink: the size of its line, newline included.


def channel_address(experiment_dir: Path) -> str:
    """A stable address per experiment directory, so trials find a resumed manager at the same place.

    Linux: an abstract socket (no file, no 108-byte path limit). Elsewhere: a socket file in the directory.
    """
    if sys.platform.startswith("linux"):
        digest = hashlib.sha1(str(experiment_dir.resolve()).encode()).hexdigest()[:20]
        return f"@tunelab-{digest}"
    return str(experiment_dir / "channel.sock")


class MetricChannel:
    """Accepts trial connections and hands every well-formed message to the sink.

    A malformed line is logged and skipped; the trial's metrics file still holds what it meant to send.
    """

    def __init__(self, address: str, sink: MetricSink) -> None:
        self.address = address
        self._sink = sink
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        path = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        if not self.address.startswith("@"):
            with contextlib.suppress(FileNotFoundError):
                Path(self.address).unlink()
        self._server = await asyncio.start_unix_server(self._serve, path=path, limit=_MAX_LINE)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        # Closing the connections ends each reader at EOF. Cancelling the tasks instead makes Python 3.11's
        # stream callback log a spurious CancelledError traceback for every connected trial.
        for writer in list(self._writers):
            writer.close()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5.0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._writers.add(writer)
        try:
            await self._read_lines(reader)
        finally:
            writer.close()
            self._writers.discard(writer)
            if task is not None:
                self._tasks.discard(task)

    async def _read_lines(self, reader: asyncio.StreamReader) -> None:
        """Dispatch each complete line; reads in chunks (not ``readline``) because a trial may send
        thousands of lines a second and a per-line await costs more than the parsing."""
        pending = b""
        while True:
            try:
                chunk = await reader.read(_CHUNK)
            except ConnectionError:
                return
            if not chunk:
                return
            pending += chunk
            end = pending.rfind(b"\n")
            if end < 0:
                if len(pending) > _MAX_LINE:
                    _log.warning("dropping an over-long metric line on the trial channel")
                    pending = b""
                continue
            lines, pending = pending[:end], pending[end + 1:]
            for line in lines.split(b"\n"):
                self._dispatch(line)

    def _dispatch(self, line: bytes) -> None:
        try:
            message = json.loads(line.decode("utf-8"))
        except ValueError:
            _log.warning("ignoring a malformed line on the trial channel: %r", line[:200])
            return
        if isinstance(message, dict) and "trial" in message:
            self._sink(message)
