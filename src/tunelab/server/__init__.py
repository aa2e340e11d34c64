"""The HTTP layer: REST API, live updates and the static UI, built by :func:`create_app`.

Names load on first use, so a client that needs only the token header or the loopback rule
(:mod:`tunelab.client`) does not pay for importing the web framework.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tunelab.base import lazy_attributes

if TYPE_CHECKING:
    from tunelab.server._app import create_app
    from tunelab.server._constants import TOKEN_HEADER, is_loopback
    from tunelab.server._context import AppContext, ServerSettings
    from tunelab.server._serve import AppServer, PortInUseError, bind_socket

_LAZY = {
    "AppContext": "tunelab.server._context",
    "AppServer": "tunelab.server._serve",
    "TOKEN_HEADER": "tunelab.server._constants",
    "PortInUseError": "tunelab.server._serve",
    "ServerSettings": "tunelab.server._context",
    "bind_socket": "tunelab.server._serve",
    "create_app": "tunelab.server._app",
    "is_loopback": "tunelab.server._constants",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "TOKEN_HEADER",
    "AppContext",
    "AppServer",
    "PortInUseError",
    "ServerSettings",
    "bind_socket",
    "create_app",
    "is_loopback",
]
