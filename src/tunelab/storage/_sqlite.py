"""SQLite store: one database file per experiment (``<experiment dir>/tunelab.db``), in WAL mode."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tunelab.base import ErrorCode, NotFoundError, StorageError
from tunelab.storage._query_sql import Dialect, SqliteDialect
from tunelab.storage._schema import META_ROWS, SQLITE_SCHEMA, check_meta
from tunelab.storage._sql import SqlStore

DB_FILENAME = "tunelab.db"
BUSY_TIMEOUT_MS = 10_000
_SQLITE_HEADER = b"SQLite format 3\x00"

# Table names of NNI's nni.sqlite, to tell the user what they opened.
_DIALECT = SqliteDialect()
_NNI_TABLES = {"TrialJobEvent", "MetricData", "ExperimentProfile"}


def check_integrity(path: Path, *, what: str = "the experiment") -> None:
    """Raise :class:`StorageError` (exit code 2) unless the SQLite file at ``path`` passes ``PRAGMA
    quick_check``; the message says how to salvage what is readable.

    Opening a damaged file usually works and the damage surfaces later, half-way through an export or a
    resumed run; callers that are about to build on a database (resume, view, load) check first. Costs one
    read of the file (quick_check skips the index-content cross-check of integrity_check). A file that is
    not SQLite at all is left to the store's own open, which says what it is instead.
    """
    try:
        with open(path, "rb") as handle:
            if handle.read(16) != _SQLITE_HEADER:
                return
    except OSError:
        return  # missing or unreadable: opening the store reports it
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise StorageError(f"{path}: cannot open the database: {exc}", code=ErrorCode.INVALID_INPUT) from exc
    try:
        rows = [str(row[0]) for row in conn.execute("PRAGMA quick_check(5)").fetchall()]
    except sqlite3.Error as exc:
        rows = [str(exc)]
    finally:
        conn.close()
    if rows == ["ok"]:
        return
    problem = " ".join(" ".join(rows).split())[:300]
    raise StorageError(
        f"{path} is damaged (SQLite quick_check: {problem}); {what} cannot be used as it is. Salvage what is "
        f"readable into a new file and put it in place, keeping the original: `sqlite3 {path} .recover | "
        f"sqlite3 {path.with_name('recovered.db')}`, then move {path.name} aside and rename recovered.db to "
        f"{path.name}",
        code=ErrorCode.INVALID_INPUT,
    )


class SqliteStore(SqlStore):
    """An :class:`~tunelab.storage.ExperimentStore` on a SQLite file.

    Durability: WAL journal with ``synchronous=NORMAL``. A committed write survives the crash of any
    process (``kill -9`` of the manager included); only a power loss or OS crash may drop the last few
    commits (never corrupting the file). Concurrency: one writer (the manager) and any number of readers,
    each with its own store (``readonly=True`` for readers, opened as a ``mode=ro`` URI so they can never
    write); readers see each commit as soon as it is made and never block the writer. A busy timeout of
    ``BUSY_TIMEOUT_MS`` covers the short moments when SQLite needs exclusive access (checkpoints).

    Opening raises :class:`NotFoundError` for a missing file in read-only mode, and :class:`StorageError`
    for a file that is not a tunelab database (not SQLite, an NNI ``nni.sqlite``, another application's
    database), a database written by a newer tunelab (higher schema version), or a corrupt file.
    Thread-safe: calls are serialized by a lock.
    """

    def __init__(self, path: Path | str, experiment_id: str, *, readonly: bool = False) -> None:
        super().__init__(experiment_id, readonly=readonly)
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        conn = self._connect()
        self._conn = conn
        try:
            with self._guard():
                self._prepare(conn)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "readonly" if self.readonly else "writer"
        return f"SqliteStore({str(self.path)!r}, {self.experiment_id!r}, {mode})"

    # -- opening ---------------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self.readonly:
            if not self.path.is_file():
                raise NotFoundError(f"no tunelab database at {self.path}; is the experiment directory right?")
            target, uri = self.path.resolve().as_uri() + "?mode=ro", True
        else:
            if self.path.is_dir():
                raise StorageError(f"{self.path} is a directory; expected the database file {DB_FILENAME}")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            target, uri = str(self.path), False
        try:
            # isolation_level=None: no implicit transactions; SqlStore issues BEGIN/COMMIT itself.
            return sqlite3.connect(
                target, uri=uri, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
            )
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: cannot open the database: {exc}") from exc

    def _prepare(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        tables = self._tables(conn)
        if "meta" in tables:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            check_meta(meta, str(self.path))
        elif tables:
            raise StorageError(self._foreign_message(tables))
        elif self.readonly:
            raise StorageError(f"{self.path} is an empty database: no experiment was ever written to it")
        if not self.readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            if "meta" not in tables:
                self._create_schema(conn)

    @staticmethod
    def _tables(conn: sqlite3.Connection) -> set[str]:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def _foreign_message(self, tables: set[str]) -> str:
        listed = ", ".join(sorted(tables)[:6])
        if tables & _NNI_TABLES:
            return (
                f"{self.path} is an NNI database (tables: {listed}), not a tunelab one; tunelab keeps its data "
                f"in <experiment dir>/{DB_FILENAME}"
            )
        return f"{self.path} is not a tunelab database (it holds the tables {listed}); choose another path"

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have initialized the file while we waited for the write lock.
            if "meta" not in self._tables(conn):
                for statement in SQLITE_SCHEMA:
                    conn.execute(statement)
                conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", META_ROWS)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # -- SqlStore hooks --------------------------------------------------------------------------------
    def _cursor(self) -> Any:
        if self._conn is None:
            raise StorageError(f"{self.path}: the store is closed")
        return self._conn.cursor()

    def _begin(self) -> None:
        # IMMEDIATE takes the write lock up front, so a transaction never fails half-way on a lock upgrade.
        self._execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        self._execute("COMMIT")

    def _rollback(self) -> None:
        if self._conn is not None and self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def _driver_errors(self) -> tuple[type[BaseException], ...]:
        return (sqlite3.Error,)

    def _is_full(self, exc: BaseException) -> bool:
        # The primary result code is the low byte of the extended one (SQLite's VFS maps ENOSPC to FULL).
        code = getattr(exc, "sqlite_errorcode", None)
        return (isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_FULL) or super()._is_full(exc)

    def _dialect(self) -> Dialect:
        return _DIALECT

    def _describe(self) -> str:
        return str(self.path)

    def close(self) -> None:
        """Close the connection (idempotent). A writer's close checkpoints the WAL into the main file."""
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()
