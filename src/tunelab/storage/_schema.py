"""The database schema (version :data:`SCHEMA_VERSION`), in the SQLite and PostgreSQL dialects.

Every table is keyed by ``experiment_id`` so one schema serves both one-file-per-experiment SQLite and a
shared PostgreSQL database. JSON columns are TEXT in SQLite and ``jsonb`` in PostgreSQL. ``meta`` holds
``application = 'tunelab'`` (how a foreign database is told apart) and ``schema_version``.

``trials.search_text`` holds the parameters' string values for free-text search (see
``_codec.search_text``). Metric rows carry a growing ``id`` (the cursor of ``metrics_since``); the unique key (experiment, trial,
kind, sequence) makes a repeated report a no-op.
"""

from __future__ import annotations

from tunelab.storage._protocol import SCHEMA_VERSION

APPLICATION = "tunelab"

_COMMON_INDEXES = (
    "CREATE INDEX IF NOT EXISTS trials_status ON trials (experiment_id, status, sequence)",
    "CREATE INDEX IF NOT EXISTS trials_final ON trials (experiment_id, final)",
    "CREATE INDEX IF NOT EXISTS trials_started ON trials (experiment_id, started_at)",
    "CREATE INDEX IF NOT EXISTS trials_ended ON trials (experiment_id, ended_at)",
    "CREATE INDEX IF NOT EXISTS metrics_experiment_id ON metrics (experiment_id, id)",
    "CREATE INDEX IF NOT EXISTS events_experiment ON events (experiment_id, id)",
    "CREATE INDEX IF NOT EXISTS events_trial ON events (experiment_id, trial_id, id)",
)

SQLITE_SCHEMA: tuple[str, ...] = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS experiments (
        id TEXT PRIMARY KEY,
        name TEXT,
        config TEXT NOT NULL,
        status TEXT NOT NULL,
        error TEXT,
        created_at REAL NOT NULL,
        run_started_at REAL,
        ended_at REAL,
        elapsed REAL NOT NULL DEFAULT 0,
        extra TEXT NOT NULL DEFAULT '{}'
    )""",
    """CREATE TABLE IF NOT EXISTS trials (
        experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        parameters TEXT NOT NULL,
        status TEXT NOT NULL,
        source TEXT NOT NULL,
        created_at REAL NOT NULL,
        started_at REAL,
        ended_at REAL,
        final REAL,
        final_data TEXT,
        message TEXT NOT NULL DEFAULT '',
        attempt INTEGER NOT NULL DEFAULT 0,
        pid INTEGER,
        intermediate_count INTEGER NOT NULL DEFAULT 0,
        latest_intermediate REAL,
        extra TEXT NOT NULL DEFAULT '{}',
        search_text TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (experiment_id, id),
        UNIQUE (experiment_id, sequence)
    )""",
    """CREATE TABLE IF NOT EXISTS metrics (
        id INTEGER PRIMARY KEY,
        experiment_id TEXT NOT NULL,
        trial_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        value REAL,
        data TEXT NOT NULL,
        timestamp REAL NOT NULL,
        UNIQUE (experiment_id, trial_id, kind, sequence),
        FOREIGN KEY (experiment_id, trial_id) REFERENCES trials (experiment_id, id) ON DELETE CASCADE
    )""",
    """CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        timestamp REAL NOT NULL,
        kind TEXT NOT NULL,
        trial_id TEXT,
        data TEXT NOT NULL DEFAULT '{}'
    )""",
    *_COMMON_INDEXES,
)

POSTGRES_SCHEMA: tuple[str, ...] = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS experiments (
        id TEXT PRIMARY KEY,
        name TEXT,
        config JSONB NOT NULL,
        status TEXT NOT NULL,
        error TEXT,
        created_at DOUBLE PRECISION NOT NULL,
        run_started_at DOUBLE PRECISION,
        ended_at DOUBLE PRECISION,
        elapsed DOUBLE PRECISION NOT NULL DEFAULT 0,
        extra JSONB NOT NULL DEFAULT '{}'
    )""",
    """CREATE TABLE IF NOT EXISTS trials (
        experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        parameters JSONB NOT NULL,
        status TEXT NOT NULL,
        source TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        started_at DOUBLE PRECISION,
        ended_at DOUBLE PRECISION,
        final DOUBLE PRECISION,
        final_data JSONB,
        message TEXT NOT NULL DEFAULT '',
        attempt INTEGER NOT NULL DEFAULT 0,
        pid INTEGER,
        intermediate_count INTEGER NOT NULL DEFAULT 0,
        latest_intermediate DOUBLE PRECISION,
        extra JSONB NOT NULL DEFAULT '{}',
        search_text TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (experiment_id, id),
        UNIQUE (experiment_id, sequence)
    )""",
    """CREATE TABLE IF NOT EXISTS metrics (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        experiment_id TEXT NOT NULL,
        trial_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        value DOUBLE PRECISION,
        data JSONB NOT NULL,
        timestamp DOUBLE PRECISION NOT NULL,
        UNIQUE (experiment_id, trial_id, kind, sequence),
        FOREIGN KEY (experiment_id, trial_id) REFERENCES trials (experiment_id, id) ON DELETE CASCADE
    )""",
    """CREATE TABLE IF NOT EXISTS events (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        experiment_id TEXT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        timestamp DOUBLE PRECISION NOT NULL,
        kind TEXT NOT NULL,
        trial_id TEXT,
        data JSONB NOT NULL DEFAULT '{}'
    )""",
    *_COMMON_INDEXES,
)

META_ROWS: tuple[tuple[str, str], ...] = (
    ("application", APPLICATION),
    ("schema_version", str(SCHEMA_VERSION)),
)


def check_meta(meta: dict[str, str], where: str) -> None:
    """Raise StorageError unless ``meta`` (the ``meta`` table) is a tunelab schema this code can read."""
    from tunelab.base import StorageError

    if meta.get("application") != APPLICATION:
        raise StorageError(
            f"{where} is not a tunelab database (its meta table does not name tunelab); "
            "point tunelab at an experiment directory or database it created"
        )
    raw = meta.get("schema_version", "")
    try:
        version = int(raw)
    except ValueError:
        raise StorageError(
            f"{where}: schema_version {raw!r} is not a number; the database is damaged"
        ) from None
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"{where} uses schema version {version}, written by a newer tunelab; this tunelab reads up to "
            f"version {SCHEMA_VERSION}: upgrade tunelab to open it"
        )
    if version < 1:
        raise StorageError(f"{where}: schema version {version} is not valid (versions start at 1)")
