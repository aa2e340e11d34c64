"""PostgreSQL store (``pip install tunelab[postgres]``): the same schema and behaviour as SQLite.

Many experiments share one database: every row is keyed by ``experiment_id``. The tables live in the
connection's ``search_path`` (default ``public``); pass ``?options=-csearch_path%3Dmyschema`` in the URL
to keep tunelab in its own schema.
"""

from __future__ import annotations

from typing import Any

from tunelab.base import StorageError
from tunelab.storage._query_sql import Dialect, PostgresDialect
from tunelab.storage._schema import META_ROWS, POSTGRES_SCHEMA, check_meta
from tunelab.storage._sql import SqlStore

CONNECT_TIMEOUT_S = 10
DISK_FULL_SQLSTATE = "53100"
_DIALECT = PostgresDialect()
_TABLES = ("meta", "experiments", "trials", "metrics", "events")
_SCHEMA_LOCK = 0x7475_6E65  # advisory lock key serializing schema creation across processes


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    scheme, _, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:
        raise StorageError(
            "PostgreSQL storage needs the psycopg package: pip install 'tunelab[postgres]'"
        ) from exc
    return psycopg


class PostgresStore(SqlStore):
    """An :class:`~tunelab.storage.ExperimentStore` on PostgreSQL (psycopg 3).

    Each store holds one connection in autocommit mode and issues ``BEGIN``/``COMMIT`` itself, so
    writes outside ``transaction()`` commit at once, as with SQLite. Readers (``readonly=True``) use a
    read-only session and see every commit (READ COMMITTED). Durability is the server's (a committed
    write survives any client crash). Opening raises :class:`StorageError` when the server cannot be
    reached, the tables belong to something else, or the schema version is newer than this tunelab.
    The password never appears in messages. Thread-safe: calls are serialized by a lock.
    """

    def __init__(self, url: str, experiment_id: str, *, readonly: bool = False) -> None:
        super().__init__(experiment_id, readonly=readonly)
        self.url = url
        psycopg = _psycopg()
        self._errors: tuple[type[BaseException], ...] = (psycopg.Error,)
        try:
            conn = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.Error as exc:
            raise StorageError(f"{redact(url)}: cannot connect to PostgreSQL: {exc}".strip()) from None
        # jsonb comes back as text: the shared codec (not psycopg) decodes JSON, so every backend agrees.
        from psycopg.types.string import TextLoader

        conn.adapters.register_loader("jsonb", TextLoader)
        self._conn: Any = conn
        try:
            with self._guard():
                self._prepare()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "readonly" if self.readonly else "writer"
        return f"PostgresStore({redact(self.url)!r}, {self.experiment_id!r}, {mode})"

    def _prepare(self) -> None:
        if self.readonly:
            self._execute("SET default_transaction_read_only = on")
        present = self._present_tables()
        if "meta" not in present and not self.readonly:
            self._create_schema()
            present = self._present_tables()
        if "meta" not in present:
            if present:
                raise StorageError(
                    f"{self._describe()}: tables {', '.join(sorted(present))} exist but no tunelab meta table; "
                    "this is not a tunelab database: use another database or schema (search_path)"
                )
            raise StorageError(f"{self._describe()}: no tunelab tables here; no experiment was ever written")
        meta = dict(self._execute("SELECT key, value FROM meta").fetchall())
        check_meta(meta, self._describe())

    def _present_tables(self) -> set[str]:
        rows = self._execute(
            "SELECT t.name FROM unnest(?::text[]) AS t(name) WHERE to_regclass(t.name) IS NOT NULL",
            [list(_TABLES)],
        ).fetchall()
        return {row[0] for row in rows}

    def _create_schema(self) -> None:
        with self.transaction():
            self._execute("SELECT pg_advisory_xact_lock(?)", [_SCHEMA_LOCK])
            present = self._present_tables()
            if present and "meta" not in present:
                return  # foreign tables: _prepare reports them
            if "meta" not in present:
                for statement in POSTGRES_SCHEMA:
                    self._execute(statement)
                self._executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", META_ROWS
                )

    # -- SqlStore hooks --------------------------------------------------------------------------------
    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s")

    def _cursor(self) -> Any:
        if self._conn is None:
            raise StorageError(f"{self._describe()}: the store is closed")
        return self._conn.cursor()

    def _begin(self) -> None:
        self._execute("BEGIN")

    def _commit(self) -> None:
        self._execute("COMMIT")

    def _rollback(self) -> None:
        if self._conn is not None and not self._conn.closed:
            self._conn.execute("ROLLBACK")

    def _driver_errors(self) -> tuple[type[BaseException], ...]:
        return self._errors

    def _is_full(self, exc: BaseException) -> bool:
        # SQLSTATE class 53 "insufficient resources": 53100 is disk_full (the server's disk, not ours).
        return getattr(exc, "sqlstate", None) == DISK_FULL_SQLSTATE or super()._is_full(exc)

    def _dialect(self) -> Dialect:
        return _DIALECT

    def _describe(self) -> str:
        return redact(self.url)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()
