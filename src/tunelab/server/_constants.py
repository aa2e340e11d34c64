"""Names shared by the server and its clients (the CLI), kept free of web-framework imports."""

from __future__ import annotations

TOKEN_HEADER = "x-tunelab-token"
TOKEN_COOKIE = "tunelab_token"
PUBLIC_PATHS = frozenset({"/api/v1/health"})
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def is_loopback(host: str) -> bool:
    return host in _LOOPBACK or host.startswith("127.")
