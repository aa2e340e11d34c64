"""The store logic shared by the SQL backends (SQLite, PostgreSQL).

Statements are written once, with ``?`` placeholders; a backend whose driver uses another paramstyle
rewrites them in :meth:`SqlStore._sql`. Statements therefore never contain a literal ``?`` or ``%``.

Every write runs inside :meth:`SqlStore.transaction`: a write outside any transaction is its own
transaction, a write inside one joins it. Writes never rely on the driver raising for an expected
conflict (``ON CONFLICT DO NOTHING`` plus a row count instead), because a failed statement aborts the
whole transaction on PostgreSQL.
"""

from __future__ import annotations

import errno
import math
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from tunelab.base import ConflictError, InvalidInputError, NotFoundError, StorageError, StorageFullError
from tunelab.storage._codec import (
    METRIC_COLUMNS,
    TRIAL_COLUMNS,
    dump_json,
    load_json,
    metric_from_row,
    metric_to_row,
    real_in,
    trial_from_row,
    trial_to_row,
)
from tunelab.storage._protocol import Event, ExperimentRecord
from tunelab.storage._query import TrialPage, TrialQuery
from tunelab.storage._query_sql import Dialect, compile_query
from tunelab.trial import ExperimentStatus, Metric, MetricKind, Trial, TrialState

_EXPERIMENT_COLUMNS = "id, name, config, status, error, created_at, run_started_at, ended_at, elapsed, extra"
_TRIAL_PLACEHOLDERS = ", ".join("?" * 18)
_ITER_CHUNK = 200  # trials per query when streaming every metric
_ID_CHUNK = 900  # ids per IN (...) list, under every SQLite build's variable limit
_ROWS_PER_INSERT = 400  # rows per multi-row INSERT (x 7 columns stays under SQLite's variable limit)
_NO_LIMIT = 2**62  # "no LIMIT" in a form both SQLite and PostgreSQL accept


class SqlStore(ABC):
    """Base of the SQL stores. Thread-safe: one lock serializes calls, and a transaction holds it."""

    experiment_id: str
    readonly: bool

    def __init__(self, experiment_id: str, *, readonly: bool) -> None:
        self.experiment_id = experiment_id
        self.readonly = readonly
        self._lock = threading.RLock()
        self._depth = 0
        self._experiment_known = False

    # -- backend hooks ---------------------------------------------------------------------------------
    @abstractmethod
    def _cursor(self) -> Any:
        """A DB-API cursor on the open connection (raises StorageError once closed)."""

    @abstractmethod
    def _begin(self) -> None: ...

    @abstractmethod
    def _commit(self) -> None: ...

    @abstractmethod
    def _rollback(self) -> None: ...

    @abstractmethod
    def _driver_errors(self) -> tuple[type[BaseException], ...]:
        """The driver's exception classes that :meth:`_guard` turns into :class:`StorageError`."""

    def _is_full(self, exc: BaseException) -> bool:
        """Whether a driver error means no room was left for the write; backends add their own codes."""
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT):
                return True
            cause = cause.__cause__ or cause.__context__
        return False

    @abstractmethod
    def _describe(self) -> str:
        """Where the data lives, for error messages (a path or a URL without password)."""

    @abstractmethod
    def _dialect(self) -> Dialect:
        """How this backend spells JSON access and text matching (see ``_query_sql``)."""

    def _sql(self, statement: str) -> str:
        return statement

    # -- plumbing --------------------------------------------------------------------------------------
    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Serialize access and turn driver errors into StorageError naming the database."""
        with self._lock:
            try:
                yield
            except self._driver_errors() as exc:
                kind = StorageFullError if self._is_full(exc) else StorageError
                raise kind(f"{self._describe()}: database error: {exc}") from exc

    def _execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        cursor = self._cursor()
        cursor.execute(self._sql(statement), tuple(params))
        return cursor

    def _fetchall(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._guard():
            return list(self._execute(statement, params).fetchall())

    def _fetchone(self, statement: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self._guard():
            row = self._execute(statement, params).fetchone()
            return None if row is None else tuple(row)

    def _executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run ``statement`` for each row; returns the number of rows changed."""
        cursor = self._cursor()
        cursor.executemany(self._sql(statement), rows)
        return int(cursor.rowcount)

    def _insert_rows(self, template: str, rows: Sequence[Sequence[Any]]) -> int:
        """Insert with multi-row ``VALUES`` lists (``{}`` in ``template``), _ROWS_PER_INSERT at a time:
        one statement per chunk costs far fewer round trips and parses than a statement per row.
        Returns the number of rows inserted."""
        added = 0
        for first in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[first : first + _ROWS_PER_INSERT]
            one = "(" + ", ".join("?" * len(chunk[0])) + ")"
            cursor = self._execute(
                template.format(", ".join([one] * len(chunk))), [v for row in chunk for v in row]
            )
            added += int(cursor.rowcount)
        return added

    def transaction(self) -> Any:
        """Group writes into one commit; nested use joins the outer transaction (no savepoints).

        An exception leaving the outermost block rolls everything back. The lock is held for the whole
        block, so other threads using this store wait for the commit.
        """
        return self._transaction()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._check_writable()
        with self._guard():
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._begin()
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self._rollback()
                raise
            self._depth = 0
            try:
                self._commit()
            except BaseException:
                self._rollback()
                raise

    def _check_writable(self) -> None:
        if self.readonly:
            raise StorageError(
                f"{self._describe()}: this store was opened read-only; writes go through the experiment's "
                "manager (open the store without readonly=True only from the process that owns it)"
            )

    # -- experiment --------------------------------------------------------------------------------------
    def create_experiment(self, record: ExperimentRecord) -> None:
        if record.id != self.experiment_id:
            raise InvalidInputError(
                f"experiment id {record.id!r} does not match this store's experiment {self.experiment_id!r}"
            )
        with self.transaction():
            cursor = self._execute(
                f"INSERT INTO experiments ({_EXPERIMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (
                    record.id,
                    record.name,
                    dump_json(record.config),
                    ExperimentStatus(record.status).value,
                    record.error,
                    record.created_at,
                    record.run_started_at,
                    record.ended_at,
                    record.elapsed,
                    dump_json(record.extra),
                ),
            )
            if cursor.rowcount == 0:
                raise ConflictError(f"experiment {record.id!r} already exists in {self._describe()}")
        self._experiment_known = True

    def get_experiment(self) -> ExperimentRecord:
        row = self._fetchone(
            f"SELECT {_EXPERIMENT_COLUMNS} FROM experiments WHERE id = ?", (self.experiment_id,)
        )
        if row is None:
            raise NotFoundError(f"experiment {self.experiment_id!r} not found in {self._describe()}")
        eid, name, config, status, error, created, run_started, ended, elapsed, extra = row
        return ExperimentRecord(
            id=eid,
            name=name,
            config=load_json(config),
            status=ExperimentStatus(status),
            error=error,
            created_at=float(created),
            run_started_at=run_started,
            ended_at=ended,
            elapsed=float(elapsed),
            extra=load_json(extra),
        )

    def update_experiment(
        self,
        *,
        status: ExperimentStatus | None = None,
        error: str | None = None,
        config: Mapping[str, Any] | None = None,
        run_started_at: float | None = None,
        ended_at: float | None = None,
        clear_ended_at: bool = False,
        elapsed: float | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        changes: dict[str, Any] = {}
        if status is not None:
            changes["status"] = ExperimentStatus(status).value
        if error is not None:
            changes["error"] = error or None
        if config is not None:
            changes["config"] = dump_json(config)
        if run_started_at is not None:
            changes["run_started_at"] = run_started_at
        if ended_at is not None:
            changes["ended_at"] = ended_at
        if clear_ended_at:
            changes["ended_at"] = None
        if elapsed is not None:
            changes["elapsed"] = elapsed
        if extra is not None:
            changes["extra"] = dump_json(extra)
        with self.transaction():
            self._update("experiments", "id = ?", (self.experiment_id,), changes, self._missing_experiment)

    def _update(
        self, table: str, where: str, keys: Sequence[Any], changes: Mapping[str, Any], missing: Any
    ) -> None:
        # Column names come from the keyword arguments above, never from callers' strings.
        if changes:
            assignments = ", ".join(f"{column} = ?" for column in changes)
            cursor = self._execute(
                f"UPDATE {table} SET {assignments} WHERE {where}", (*changes.values(), *keys)
            )
            found = cursor.rowcount > 0
        else:
            found = self._execute(f"SELECT 1 FROM {table} WHERE {where}", keys).fetchone() is not None
        if not found:
            missing()

    def _missing_experiment(self) -> None:
        raise NotFoundError(f"experiment {self.experiment_id!r} not found in {self._describe()}")

    def _require_experiment(self) -> None:
        if self._experiment_known:
            return
        if self._execute("SELECT 1 FROM experiments WHERE id = ?", (self.experiment_id,)).fetchone() is None:
            raise NotFoundError(
                f"experiment {self.experiment_id!r} not found in {self._describe()}; "
                "call create_experiment() before adding trials or events"
            )
        self._experiment_known = True

    # -- trials ------------------------------------------------------------------------------------------
    def next_sequence(self) -> int:
        row = self._fetchone(
            "SELECT COALESCE(MAX(sequence) + 1, 0) FROM trials WHERE experiment_id = ?", (self.experiment_id,)
        )
        return int(row[0]) if row else 0

    def insert_trial(self, trial: Trial) -> None:
        with self.transaction():
            self._require_experiment()
            cursor = self._execute(
                f"INSERT INTO trials (experiment_id, {TRIAL_COLUMNS}, search_text) VALUES ({_TRIAL_PLACEHOLDERS}) "
                "ON CONFLICT DO NOTHING",
                trial_to_row(self.experiment_id, trial),
            )
            if cursor.rowcount == 0:
                raise self._trial_conflict(trial)

    def _trial_conflict(self, trial: Trial) -> ConflictError:
        row = self._execute(
            "SELECT id FROM trials WHERE experiment_id = ? AND (id = ? OR sequence = ?)",
            (self.experiment_id, trial.id, trial.sequence),
        ).fetchone()
        if row is not None and row[0] == trial.id:
            return ConflictError(f"trial {trial.id!r} already exists in experiment {self.experiment_id!r}")
        other = row[0] if row is not None else "?"
        return ConflictError(
            f"trial sequence {trial.sequence} is already used by trial {other!r} in experiment "
            f"{self.experiment_id!r}; take the next one from next_sequence()"
        )

    def update_trial(
        self,
        trial_id: str,
        *,
        status: TrialState | None = None,
        started_at: float | None = None,
        ended_at: float | None = None,
        message: str | None = None,
        attempt: int | None = None,
        pid: int | None = None,
        clear_pid: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        changes: dict[str, Any] = {}
        if status is not None:
            changes["status"] = TrialState(status).value
        if started_at is not None:
            changes["started_at"] = started_at
        if ended_at is not None:
            changes["ended_at"] = ended_at
        if message is not None:
            changes["message"] = message
        if attempt is not None:
            changes["attempt"] = attempt
        if pid is not None:
            changes["pid"] = pid
        if clear_pid:
            changes["pid"] = None
        if extra is not None:
            changes["extra"] = dump_json(extra)
        where, keys = "experiment_id = ? AND id = ?", [self.experiment_id, trial_id]
        if status is not None:
            # Compare-and-set: the move happens only from a state the transition table allows.
            sources = sorted(state.value for state in TrialState.sources_of(TrialState(status)))
            where += f" AND status IN ({', '.join('?' for _ in sources)})" if sources else " AND 0 = 1"
            keys += sources
        with self.transaction():
            self._update("trials", where, keys, changes, lambda: self._refused_update(trial_id, status))

    def _refused_update(self, trial_id: str, status: TrialState | None) -> None:
        row = self._execute("SELECT status FROM trials WHERE experiment_id = ? AND id = ?",
                            (self.experiment_id, trial_id)).fetchone()
        if row is None or status is None:
            self._missing_trial(trial_id)
            return
        raise ConflictError(f"trial {trial_id!r} cannot go from {row[0]} to {TrialState(status).value}")

    def _missing_trial(self, trial_id: str) -> None:
        raise NotFoundError(f"trial {trial_id!r} not found in experiment {self.experiment_id!r}")

    def get_trial(self, trial_id: str) -> Trial:
        row = self._fetchone(
            f"SELECT {TRIAL_COLUMNS} FROM trials WHERE experiment_id = ? AND id = ?",
            (self.experiment_id, trial_id),
        )
        if row is None:
            self._missing_trial(trial_id)
        return trial_from_row(row)  # type: ignore[arg-type]  # _missing_trial raised for None

    def list_trials(self, statuses: Sequence[TrialState] | None = None) -> list[Trial]:
        where, params = "experiment_id = ?", [self.experiment_id]
        if statuses is not None:
            if not statuses:
                return []
            where += f" AND status IN ({', '.join('?' * len(statuses))})"
            params += [TrialState(s).value for s in statuses]
        rows = self._fetchall(f"SELECT {TRIAL_COLUMNS} FROM trials WHERE {where} ORDER BY sequence", params)
        return [trial_from_row(row) for row in rows]

    def count_trials(self) -> dict[TrialState, int]:
        rows = self._fetchall(
            "SELECT status, COUNT(*) FROM trials WHERE experiment_id = ? GROUP BY status",
            (self.experiment_id,),
        )
        return {TrialState(status): int(count) for status, count in rows}

    def best_trial(self, *, maximize: bool) -> Trial | None:
        """The trial with the highest (``maximize``) or lowest final value; non-finite finals are never
        ranked (NaN is stored as NULL; the bounds leave out the infinities)."""
        order = "DESC" if maximize else "ASC"
        row = self._fetchone(
            f"SELECT {TRIAL_COLUMNS} FROM trials WHERE experiment_id = ? AND final > ? AND final < ? "
            f"ORDER BY final {order}, sequence LIMIT 1",
            (self.experiment_id, -math.inf, math.inf),
        )
        return None if row is None else trial_from_row(row)

    def query_trials(self, query: TrialQuery) -> TrialPage:
        """One page of the trials matching ``query``, filtered, sorted and paged in SQL.

        The sort runs over trial ids only (a deferred join: the sorter never carries whole rows), then
        the page's rows are fetched by id. With filters beyond status, one statement returns every
        matching id in order, so the filters are evaluated once for both the page and the total.
        """
        compiled = compile_query(self._dialect(), self.experiment_id, query)
        ordered = (
            f"SELECT id FROM trials WHERE {compiled.where} ORDER BY {compiled.order_by}",
            [*compiled.where_params, *compiled.order_params],
        )
        end = None if query.limit is None else query.offset + query.limit
        with self._guard():
            if query.parameters or query.fields or query.metrics or query.text:
                ids = [row[0] for row in self._execute(*ordered).fetchall()]
                total, page_ids = len(ids), ids[query.offset : end]
            else:
                counted = self._execute(
                    f"SELECT COUNT(*) FROM trials WHERE {compiled.where}", compiled.where_params
                )
                total = int(counted.fetchone()[0])
                limit = _NO_LIMIT if query.limit is None else query.limit
                paged = self._execute(f"{ordered[0]} LIMIT ? OFFSET ?", [*ordered[1], limit, query.offset])
                page_ids = [row[0] for row in paged.fetchall()]
            trials = self._trials_by_id(page_ids)
        return TrialPage(trials=[trials[i] for i in page_ids], total=total)

    def _trials_by_id(self, trial_ids: Sequence[str]) -> dict[str, Trial]:
        found: dict[str, Trial] = {}
        for first in range(0, len(trial_ids), _ID_CHUNK):
            chunk = trial_ids[first : first + _ID_CHUNK]
            rows = self._execute(
                f"SELECT {TRIAL_COLUMNS} FROM trials WHERE experiment_id = ? AND id IN ({', '.join('?' * len(chunk))})",
                [self.experiment_id, *chunk],
            ).fetchall()
            for row in rows:
                found[row[0]] = trial_from_row(row)
        return found

    # -- metrics -----------------------------------------------------------------------------------------
    def add_intermediates(self, metrics: Sequence[Metric]) -> int:
        if not metrics:
            return 0
        for metric in metrics:
            if MetricKind(metric.kind) is not MetricKind.PERIODICAL:
                raise InvalidInputError(
                    f"add_intermediates() takes PERIODICAL metrics, got {metric.kind} for trial "
                    f"{metric.trial_id!r}; store final results with set_final()"
                )
        trial_ids = sorted({m.trial_id for m in metrics})
        with self.transaction():
            self._require_trials(trial_ids)
            added = self._insert_rows(
                f"INSERT INTO metrics (experiment_id, {METRIC_COLUMNS}) VALUES {{}} ON CONFLICT DO NOTHING",
                [metric_to_row(self.experiment_id, m) for m in metrics],
            )
            if added:
                self._refresh_intermediate_summary(trial_ids)
        return added

    def _require_trials(self, trial_ids: Sequence[str]) -> None:
        rows = self._execute(
            f"SELECT id FROM trials WHERE experiment_id = ? AND id IN ({', '.join('?' * len(trial_ids))})",
            (self.experiment_id, *trial_ids),
        ).fetchall()
        missing = sorted(set(trial_ids) - {row[0] for row in rows})
        if missing:
            self._missing_trial(missing[0])

    def _refresh_intermediate_summary(self, trial_ids: Sequence[str]) -> None:
        # Recounting from the metrics table (an index range per trial) keeps the summary exact even when
        # a batch mixes new and duplicate reports; a burst touches few trials.
        self._executemany(
            "UPDATE trials SET "
            "intermediate_count = (SELECT COUNT(*) FROM metrics m WHERE m.experiment_id = trials.experiment_id "
            "AND m.trial_id = trials.id AND m.kind = 'PERIODICAL'), "
            "latest_intermediate = (SELECT m.value FROM metrics m WHERE m.experiment_id = trials.experiment_id "
            "AND m.trial_id = trials.id AND m.kind = 'PERIODICAL' ORDER BY m.sequence DESC LIMIT 1) "
            "WHERE experiment_id = ? AND id = ?",
            [(self.experiment_id, tid) for tid in trial_ids],
        )

    def set_final(self, metric: Metric) -> bool:
        if MetricKind(metric.kind) is not MetricKind.FINAL:
            raise InvalidInputError(
                f"set_final() takes a FINAL metric, got {metric.kind} for trial {metric.trial_id!r}; "
                "store intermediate results with add_intermediates()"
            )
        with self.transaction():
            cursor = self._execute(
                "UPDATE trials SET final = ?, final_data = ? "
                "WHERE experiment_id = ? AND id = ? AND final_data IS NULL",
                (real_in(metric.value), dump_json(metric.data), self.experiment_id, metric.trial_id),
            )
            if cursor.rowcount == 0:
                self._require_trials([metric.trial_id])
                return False
            self._execute(
                f"INSERT INTO metrics (experiment_id, {METRIC_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                metric_to_row(self.experiment_id, metric),
            )
        return True

    def reset_metrics(self, trial_id: str) -> None:
        with self.transaction():
            self._require_trials([trial_id])
            self._execute("DELETE FROM metrics WHERE experiment_id = ? AND trial_id = ?", (self.experiment_id, trial_id))
            self._execute(
                "UPDATE trials SET final = NULL, final_data = NULL, intermediate_count = 0, "
                "latest_intermediate = NULL WHERE experiment_id = ? AND id = ?",
                (self.experiment_id, trial_id),
            )

    def get_metrics(self, trial_id: str, kind: MetricKind | None = None) -> list[Metric]:
        where, params = "experiment_id = ? AND trial_id = ?", [self.experiment_id, trial_id]
        if kind is not None:
            where += " AND kind = ?"
            params.append(MetricKind(kind).value)
        rows = self._fetchall(
            f"SELECT {METRIC_COLUMNS} FROM metrics WHERE {where} ORDER BY kind, sequence", params
        )
        return [metric_from_row(row) for row in rows]

    def iter_metrics(self, kind: MetricKind | None = None) -> Iterator[Metric]:
        """Streams in chunks of trials, so memory stays bounded and the lock is not held between chunks."""
        kind_clause, kind_params = ("", []) if kind is None else (" AND m.kind = ?", [MetricKind(kind).value])
        low = -1
        while True:
            sequences = self._fetchall(
                "SELECT sequence FROM trials WHERE experiment_id = ? AND sequence > ? ORDER BY sequence LIMIT ?",
                (self.experiment_id, low, _ITER_CHUNK),
            )
            if not sequences:
                return
            high = sequences[-1][0]
            rows = self._fetchall(
                f"SELECT m.trial_id, m.kind, m.sequence, m.value, m.data, m.timestamp FROM metrics m "
                "JOIN trials t ON t.experiment_id = m.experiment_id AND t.id = m.trial_id "
                f"WHERE m.experiment_id = ? AND t.sequence > ? AND t.sequence <= ?{kind_clause} "
                "ORDER BY t.sequence, m.sequence, m.kind",
                (self.experiment_id, low, high, *kind_params),
            )
            yield from (metric_from_row(row) for row in rows)
            low = high

    def metrics_since(self, after: int = 0, *, limit: int = 10_000) -> tuple[list[Metric], int]:
        """Metrics stored after cursor ``after`` (0 = from the start), oldest first, at most ``limit``.

        Returns the metrics and the cursor to pass next time (unchanged when nothing is new). Cursors are
        store-specific opaque integers: the database's metric row id, which grows with every insert.
        """
        rows = self._fetchall(
            f"SELECT id, {METRIC_COLUMNS} FROM metrics WHERE experiment_id = ? AND id > ? ORDER BY id LIMIT ?",
            (self.experiment_id, after, limit),
        )
        if not rows:
            return [], after
        return [metric_from_row(row[1:]) for row in rows], int(rows[-1][0])

    # -- events ------------------------------------------------------------------------------------------
    def add_event(
        self,
        kind: str,
        *,
        trial_id: str | None = None,
        data: Mapping[str, Any] | None = None,
        timestamp: float | None = None,
    ) -> int:
        with self.transaction():
            self._require_experiment()
            cursor = self._execute(
                "INSERT INTO events (experiment_id, timestamp, kind, trial_id, data) VALUES (?, ?, ?, ?, ?) "
                "RETURNING id",
                (
                    self.experiment_id,
                    time.time() if timestamp is None else timestamp,
                    kind,
                    trial_id,
                    dump_json(dict(data or {})),
                ),
            )
            return int(cursor.fetchone()[0])

    def list_events(
        self, *, trial_id: str | None = None, after_id: int = 0, limit: int = 1000
    ) -> list[Event]:
        where, params = "experiment_id = ? AND id > ?", [self.experiment_id, after_id]
        if trial_id is not None:
            where += " AND trial_id = ?"
            params.append(trial_id)
        rows = self._fetchall(
            f"SELECT id, timestamp, kind, trial_id, data FROM events WHERE {where} ORDER BY id LIMIT ?",
            (*params, limit),
        )
        return [
            Event(id=int(eid), timestamp=float(ts), kind=kind, trial_id=tid, data=load_json(data))
            for eid, ts, kind, tid, data in rows
        ]
