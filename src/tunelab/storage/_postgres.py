"""PostgreSQL store (phase 3 of the storage work): not available yet."""

from __future__ import annotations

from typing import NoReturn

from tunelab.base import StorageError


class PostgresStore:
    """Placeholder until the PostgreSQL backend lands; constructing it raises :class:`StorageError`."""

    def __init__(self, url: str, experiment_id: str, *, readonly: bool = False) -> None:
        _unavailable()


def _unavailable() -> NoReturn:
    raise StorageError(
        "PostgreSQL storage is not available yet in this tunelab version; use an experiment directory "
        "(SQLite) as the storage location"
    )
