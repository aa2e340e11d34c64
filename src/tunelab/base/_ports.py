"""The one rule for a TCP port a user asks for, shared by the CLI, the Python API and the server."""

from __future__ import annotations

from tunelab.base._errors import InvalidInputError

MAX_PORT = 65535


def check_port(port: object, where: str = "--port") -> int:
    """``port`` as an int in 0..65535 (0: the system picks a free one); InvalidInputError otherwise.

    Without it, 70000 or -1 reached ``socket.bind`` and raised OverflowError (a traceback in ``run``,
    "manager exited before it was ready" in ``create``).
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= MAX_PORT:
        raise InvalidInputError(
            f"{where}: a port must be an integer from 0 to {MAX_PORT}, got {port!r}; "
            "use e.g. 8080 (or 0 for any free port)"
        )
    return port
