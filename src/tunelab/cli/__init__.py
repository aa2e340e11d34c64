"""The `tunelab` command line (typer + rich): thin commands over the manager, the server and the store."""

from tunelab.cli import _demo_cmd, _docs, _inspect, _lifecycle, _nni, _tensorboard_cmd, _try  # noqa: F401 - registers the commands
from tunelab.cli._common import app

__all__ = ["app", "main"]


def main() -> None:
    app()
