"""Persistence of experiments behind one contract (:class:`ExperimentStore`).

Backends: SQLite in WAL mode, one file per experiment (default); PostgreSQL by URL (``pip install
tunelab[postgres]``); in memory for tests. :func:`open_store` picks one from a location.
"""

from __future__ import annotations

from tunelab.storage._filter import parse_filter
from tunelab.storage._memory import MemoryStore
from tunelab.storage._open import open_store
from tunelab.storage._pointer import record_storage, recorded_storage
from tunelab.storage._postgres import PostgresStore
from tunelab.storage._protocol import SCHEMA_VERSION, Event, ExperimentRecord, ExperimentStore
from tunelab.storage._query import NUMERIC_FIELDS, SORT_FIELDS, Condition, Op, TrialPage, TrialQuery
from tunelab.storage._query_py import matches
from tunelab.storage._scan import ExperimentListing, best_of, optimize_mode, scan_experiments
from tunelab.storage._sqlite import DB_FILENAME, SqliteStore, check_integrity

__all__ = [
    "DB_FILENAME",
    "NUMERIC_FIELDS",
    "SCHEMA_VERSION",
    "SORT_FIELDS",
    "Condition",
    "Event",
    "ExperimentListing",
    "ExperimentRecord",
    "ExperimentStore",
    "MemoryStore",
    "Op",
    "PostgresStore",
    "SqliteStore",
    "TrialPage",
    "TrialQuery",
    "best_of",
    "check_integrity",
    "matches",
    "open_store",
    "optimize_mode",
    "parse_filter",
    "record_storage",
    "recorded_storage",
    "scan_experiments",
]
