"""Choosing a store from a location: an experiment directory (SQLite) or a ``postgresql://`` URL."""

from __future__ import annotations

from pathlib import Path

from tunelab.base import StorageError
from tunelab.storage._postgres import PostgresStore
from tunelab.storage._protocol import ExperimentStore
from tunelab.storage._sqlite import DB_FILENAME, SqliteStore

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(location: str | Path) -> bool:
    return isinstance(location, str) and location.startswith(_POSTGRES_SCHEMES)


def open_store(location: str | Path, experiment_id: str, *, readonly: bool = False) -> ExperimentStore:
    """Open the store of ``experiment_id`` at ``location``.

    ``location`` is an experiment directory (the store is ``<dir>/tunelab.db``, created unless
    ``readonly``) or a ``postgresql://user:password@host:port/dbname`` URL. Raises :class:`StorageError`
    (or :class:`NotFoundError` for a missing database opened read-only) as the backends document.
    """
    if is_postgres_url(location):
        return PostgresStore(str(location), experiment_id, readonly=readonly)
    if isinstance(location, str) and "://" in location:
        scheme = location.split("://", 1)[0]
        raise StorageError(
            f"storage location {location!r}: unsupported scheme {scheme!r}; use an experiment directory or "
            "a postgresql:// URL"
        )
    directory = Path(location)
    if directory.name == DB_FILENAME:
        directory = directory.parent
    return SqliteStore(directory / DB_FILENAME, experiment_id, readonly=readonly)
