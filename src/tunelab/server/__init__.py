"""The HTTP layer: REST API, live updates and the static UI, built by :func:`create_app`."""

from tunelab.server._app import create_app
from tunelab.server._context import AppContext, ServerSettings
from tunelab.server._serve import AppServer, PortInUseError, bind_socket

__all__ = ["AppContext", "AppServer", "PortInUseError", "ServerSettings", "bind_socket", "create_app"]
