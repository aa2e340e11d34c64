"""The local metric channel takes lines only from a connection that opened with its trial's key, and
only for that trial; the key is stable across managers of the same experiment (re-attached trials)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
from pathlib import Path
from typing import Any

from tunelab.runners._channel import ChannelKeys, MetricChannel, peer_uid


def _line(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode() + b"\n"


def _final(trial: str, value: float) -> bytes:
    return _line({"trial": trial, "kind": "FINAL", "seq": 0, "value": value})


async def _exchange(tmp_path: Path, sends: list[bytes]) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    keys = ChannelKeys.for_experiment(tmp_path)
    channel = MetricChannel(f"@tunelab-test-auth-{os.getpid()}", got.append, keys)
    await channel.open()
    try:
        for data in sends:
            reader, writer = await asyncio.open_unix_connection("\0" + channel.address[1:])
            writer.write(data)
            await writer.drain()
            writer.write_eof()
            # The channel closes a refused connection at once, a good one at the EOF: either way it has
            # handled every line by then.
            await asyncio.wait_for(reader.read(), timeout=10)
            writer.close()
            await writer.wait_closed()
    finally:
        await channel.close()
    return got


def _hello(keys: ChannelKeys, trial: str, key: str | None = None) -> bytes:
    return _line({"hello": trial, "key": key if key is not None else keys.key(trial)})


def test_only_a_connection_with_its_trials_key_is_heard(tmp_path: Path) -> None:
    keys = ChannelKeys.for_experiment(tmp_path)

    async def scenario() -> list[dict[str, Any]]:
        return await _exchange(tmp_path, [
            _final("t1", 1.0),                                   # no hello
            _hello(keys, "t1", "0" * 64) + _final("t1", 2.0),    # a wrong key
            _hello(keys, "t2") + _final("t1", 3.0),              # t2's key, a line for t1
            _line({"hello": "t1"}) + _final("t1", 4.0),          # no key at all
        ])

    async def good() -> list[dict[str, Any]]:
        return await _exchange(tmp_path, [_hello(keys, "t1") + _final("t1", 5.0)])

    assert asyncio.run(scenario()) == []
    assert [m["value"] for m in asyncio.run(good())] == [5.0]


def test_keys_survive_a_new_manager_and_the_secret_is_private(tmp_path: Path) -> None:
    first = ChannelKeys.for_experiment(tmp_path)
    second = ChannelKeys.for_experiment(tmp_path)
    assert first.key("abc") == second.key("abc")
    assert first.key("abc") != first.key("abd")
    assert first.key("abc") != ChannelKeys.for_experiment(tmp_path / "other").key("abc")
    assert stat.S_IMODE((tmp_path / "channel.key").stat().st_mode) == 0o600


def test_peer_uid_names_the_connecting_user() -> None:
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with left, right:
        assert peer_uid(left) == os.getuid()
