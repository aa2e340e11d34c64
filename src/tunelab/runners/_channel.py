"""The live metric channel of local trials: a Unix stream socket receiving JSON lines.

Who may write to it (the socket is reachable by every local user: a Linux abstract socket has no file
permissions): a connection is accepted only from a process of the manager's own user (``SO_PEERCRED``), and
its first line must be ``{"hello": TRIAL_ID, "key": KEY}`` with the key the manager gave that trial in its
environment (``TUNELAB_CHANNEL_KEY``, derived from the experiment's secret); every later line must name that
trial. So another user cannot connect at all, and a same-user process that is not the trial (nor its
children) can only report for a trial whose environment it can read.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import socket
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tunelab.runners._protocol import MetricSink

_log = logging.getLogger(__name__)
_MAX_LINE = 2_000_000  # above the trial API's 1 MB metric limit
_CHUNK = 256 * 1024
KEY_FILE = "channel.key"


def channel_address(experiment_dir: Path) -> str:
    """A stable address per experiment directory, so trials find a resumed manager at the same place.

    Linux: an abstract socket (no file, no 108-byte path limit). Elsewhere: a socket file in the directory.
    """
    if sys.platform.startswith("linux"):
        digest = hashlib.sha1(str(experiment_dir.resolve()).encode()).hexdigest()[:20]
        return f"@tunelab-{digest}"
    return str(experiment_dir / "channel.sock")


class ChannelKeys:
    """Per-trial channel keys, derived from a secret kept in the experiment directory (mode 0600).

    Derived rather than stored per trial, so a resumed manager accepts the trials it re-attaches (they
    reconnect with the key they were started with) without anything new in the database.
    """

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    @classmethod
    def for_experiment(cls, experiment_dir: Path) -> ChannelKeys:
        path = experiment_dir / KEY_FILE
        experiment_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32))
        os.chmod(path, 0o600)  # an older or copied experiment may have a readable one
        return cls(bytes.fromhex(path.read_text(encoding="ascii").strip()))

    def key(self, trial_id: str) -> str:
        return hmac.new(self._secret, trial_id.encode(), hashlib.sha256).hexdigest()

    def check(self, trial_id: object, key: object) -> bool:
        return (isinstance(trial_id, str) and isinstance(key, str)
                and hmac.compare_digest(self.key(trial_id).encode(), key.encode()))


def peer_uid(sock: Any) -> int | None:
    """The uid of the process at the other end of a Unix socket, or None where the system cannot say."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    try:
        _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i")))
    except OSError:
        return None
    return int(uid)


def same_user(sock: Any) -> bool:
    """Whether the peer runs as this process's user (a system without SO_PEERCRED relies on the key and
    the 0700 experiment directory the socket file lives in)."""
    uid = peer_uid(sock)
    return uid is None or uid == os.getuid()


class MetricChannel:
    """Accepts trial connections and hands every well-formed message to the sink.

    A malformed line is logged and skipped; the trial's metrics file still holds what it meant to send.
    With ``keys``, a connection from another user, or without a valid hello, is closed unread.
    """

    def __init__(self, address: str, sink: MetricSink, keys: ChannelKeys | None = None) -> None:
        self.address = address
        self._sink = sink
        self._keys = keys
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
            if not same_user(writer.get_extra_info("socket")):
                _log.warning("refused a trial-channel connection from another user (uid %s)",
                             peer_uid(writer.get_extra_info("socket")))
                return
            await self._read_lines(reader, self._dispatch if self._keys is None else _Authenticated(self))
        finally:
            writer.close()
            self._writers.discard(writer)
            if task is not None:
                self._tasks.discard(task)

    async def _read_lines(self, reader: asyncio.StreamReader, dispatch: Callable[[bytes], bool | None]) -> None:
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
                if dispatch(line) is False:
                    return  # the connection is refused: close it unread

    def _dispatch(self, line: bytes, trial: str | None = None) -> None:
        message = _parse(line)
        if message is not None and "trial" in message and (trial is None or message["trial"] == trial):
            self._sink(message)


class _Authenticated:
    """One connection's dispatcher when keys are required: a valid hello first, then its trial's lines."""

    def __init__(self, channel: MetricChannel) -> None:
        self._channel = channel
        self._trial: str | None = None

    def __call__(self, line: bytes) -> bool | None:
        if self._trial is not None:
            self._channel._dispatch(line, self._trial)
            return None
        message = _parse(line)
        keys = self._channel._keys
        if message is None or keys is None or not keys.check(message.get("hello"), message.get("key")):
            _log.warning("refused a trial-channel connection without a valid hello")
            return False
        self._trial = str(message["hello"])
        return None


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        message = json.loads(line.decode("utf-8"))
    except ValueError:
        _log.warning("ignoring a malformed line on the trial channel: %r", line[:200])
        return None
    return message if isinstance(message, dict) else None
