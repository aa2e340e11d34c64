"""The listening socket: bound early, TCP (so accepted connections get TCP_NODELAY), clear errors."""

from __future__ import annotations

import socket

import pytest

from tunelab.server import PortInUseError, bind_socket


def test_bound_socket_is_tcp_so_asyncio_disables_nagle() -> None:
    # asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP; with proto 0 every keep-alive
    # response waited ~40 ms for the client's delayed ACK.
    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.type == socket.SOCK_STREAM
    finally:
        sock.close()


def test_a_taken_port_says_which_and_what_to_do() -> None:
    first = bind_socket("127.0.0.1", 0)
    port = first.getsockname()[1]
    try:
        with pytest.raises(PortInUseError, match=f"port {port} .* --port"):
            bind_socket("127.0.0.1", port)
    finally:
        first.close()
