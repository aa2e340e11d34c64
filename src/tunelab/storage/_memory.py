"""In-memory store with the same observable behaviour as the SQL stores, for unit tests.

Values go through the same JSON codec as the databases (a caller mutating a dict it passed in changes
nothing stored; NaN and infinities come back the same way). Transactions are real: a writer works on a
copy of the committed state and publishes it on commit, so readers made with :meth:`MemoryStore.connect`
see commits only, like readers of a SQLite file. The data lives as long as some store on it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from tunelab.base import ConflictError, InvalidInputError, NotFoundError, StorageError
from tunelab.storage._codec import dump_json, load_json
from tunelab.storage._protocol import Event, ExperimentRecord
from tunelab.storage._query import TrialPage, TrialQuery
from tunelab.storage._query_py import run_query
from tunelab.trial import ExperimentStatus, Metric, MetricKind, Trial, TrialSource, TrialState

_MetricKey = tuple[str, int]  # (kind value, sequence)


def _norm(value: Any) -> Any:
    """What a database would give back for ``value`` (a fresh copy, through the JSON codec)."""
    return load_json(dump_json(value))


@dataclass
class _State:
    """One consistent version of the data. Copies share records (immutable) but not containers."""

    experiment: ExperimentRecord | None = None
    trials: dict[str, Trial] = field(default_factory=dict)
    sequences: dict[int, str] = field(default_factory=dict)
    metrics: dict[str, dict[_MetricKey, tuple[int, Metric]]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    last_metric_id: int = 0
    last_event_id: int = 0
    # trial ids whose metric dict this version owns (copy-on-write of the inner dicts)
    owned: set[str] = field(default_factory=set)

    def copy(self) -> _State:
        return replace(
            self,
            trials=dict(self.trials),
            sequences=dict(self.sequences),
            metrics=dict(self.metrics),
            events=list(self.events),
            owned=set(),
        )

    def metrics_of(self, trial_id: str) -> dict[_MetricKey, tuple[int, Metric]]:
        """The trial's metric dict, writable in this version."""
        if trial_id not in self.owned:
            self.metrics[trial_id] = dict(self.metrics.get(trial_id, {}))
            self.owned.add(trial_id)
        return self.metrics[trial_id]


class _Database:
    """The committed state shared by a writer and its readers."""

    def __init__(self) -> None:
        self.state = _State()
        self.lock = threading.RLock()


class MemoryStore:
    """An :class:`~tunelab.storage.ExperimentStore` kept in memory. Thread-safe (one lock)."""

    def __init__(
        self, experiment_id: str, *, readonly: bool = False, _database: _Database | None = None
    ) -> None:
        self.experiment_id = experiment_id
        self.readonly = readonly
        self._db = _database or _Database()
        self._work: _State | None = None  # the writer's uncommitted version inside a transaction
        self._depth = 0
        self._closed = False

    def connect(self, *, readonly: bool = True) -> MemoryStore:
        """Another store on the same data, as a second connection to a database would be: it sees this
        store's commits (never its uncommitted writes). Read-only unless ``readonly=False``."""
        return MemoryStore(self.experiment_id, readonly=readonly, _database=self._db)

    def __repr__(self) -> str:
        return f"MemoryStore({self.experiment_id!r}{', readonly' if self.readonly else ''})"

    def close(self) -> None:
        self._closed = True

    # -- plumbing ----------------------------------------------------------------------------------------
    def _read(self) -> _State:
        if self._closed:
            raise StorageError(f"memory store of {self.experiment_id!r} is closed")
        return self._work if self._work is not None else self._db.state

    def transaction(self) -> Any:
        """Group writes into one commit; nested use joins the outer one; an exception rolls back."""
        return self._transaction()

    @contextmanager
    def _transaction(self) -> Iterator[_State]:
        if self.readonly:
            raise StorageError(f"memory store of {self.experiment_id!r} was opened read-only")
        self._read()
        with self._db.lock:
            if self._work is not None:
                self._depth += 1
                try:
                    yield self._work
                finally:
                    self._depth -= 1
                return
            work = self._db.state.copy()
            self._work, self._depth = work, 1
            try:
                yield work
            except BaseException:
                self._work, self._depth = None, 0
                raise
            self._work, self._depth = None, 0
            self._db.state = work

    def _require_experiment(self, state: _State) -> ExperimentRecord:
        if state.experiment is None:
            raise NotFoundError(
                f"experiment {self.experiment_id!r} not found in memory; "
                "call create_experiment() before adding trials or events"
            )
        return state.experiment

    def _trial(self, state: _State, trial_id: str) -> Trial:
        trial = state.trials.get(trial_id)
        if trial is None:
            raise NotFoundError(f"trial {trial_id!r} not found in experiment {self.experiment_id!r}")
        return trial

    # -- experiment --------------------------------------------------------------------------------------
    def create_experiment(self, record: ExperimentRecord) -> None:
        if record.id != self.experiment_id:
            raise InvalidInputError(
                f"experiment id {record.id!r} does not match this store's experiment {self.experiment_id!r}"
            )
        with self._transaction() as state:
            if state.experiment is not None:
                raise ConflictError(f"experiment {record.id!r} already exists in memory")
            state.experiment = replace(
                record,
                config=_norm(record.config),
                extra=_norm(record.extra),
                status=ExperimentStatus(record.status),
            )

    def get_experiment(self) -> ExperimentRecord:
        record = self._require_experiment(self._read())
        return replace(record, config=_norm(record.config), extra=_norm(record.extra))

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
            changes["status"] = ExperimentStatus(status)
        if error is not None:
            changes["error"] = error or None
        if config is not None:
            changes["config"] = _norm(config)
        if run_started_at is not None:
            changes["run_started_at"] = run_started_at
        if ended_at is not None:
            changes["ended_at"] = ended_at
        if clear_ended_at:
            changes["ended_at"] = None
        if elapsed is not None:
            changes["elapsed"] = elapsed
        if extra is not None:
            changes["extra"] = _norm(extra)
        with self._transaction() as state:
            state.experiment = replace(self._require_experiment(state), **changes)

    # -- trials ------------------------------------------------------------------------------------------
    def next_sequence(self) -> int:
        sequences = self._read().sequences
        return max(sequences) + 1 if sequences else 0

    def insert_trial(self, trial: Trial) -> None:
        with self._transaction() as state:
            self._require_experiment(state)
            if trial.id in state.trials:
                raise ConflictError(f"trial {trial.id!r} already exists in experiment {self.experiment_id!r}")
            if trial.sequence in state.sequences:
                raise ConflictError(
                    f"trial sequence {trial.sequence} is already used by trial "
                    f"{state.sequences[trial.sequence]!r} in experiment {self.experiment_id!r}; "
                    "take the next one from next_sequence()"
                )
            has_final = trial.final is not None
            state.trials[trial.id] = replace(
                trial,
                parameters=_norm(trial.parameters),
                status=TrialState(trial.status),
                source=TrialSource(trial.source),
                final_data=_norm(trial.final_data) if has_final else None,
                extra=_norm(trial.extra),
            )
            state.sequences[trial.sequence] = trial.id

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
            changes["status"] = TrialState(status)
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
            changes["extra"] = _norm(extra)
        with self._transaction() as state:
            current = self._trial(state, trial_id)
            if status is not None and not current.status.can_move_to(TrialState(status)):
                raise ConflictError(f"trial {trial_id!r} cannot go from {current.status.value} to "
                                    f"{TrialState(status).value}")
            state.trials[trial_id] = replace(current, **changes)

    def get_trial(self, trial_id: str) -> Trial:
        return _copy_trial(self._trial(self._read(), trial_id))

    def list_trials(self, statuses: Sequence[TrialState] | None = None) -> list[Trial]:
        wanted = None if statuses is None else {TrialState(s) for s in statuses}
        trials = (t for t in self._read().trials.values() if wanted is None or t.status in wanted)
        return [_copy_trial(t) for t in sorted(trials, key=lambda t: t.sequence)]

    def count_trials(self) -> dict[TrialState, int]:
        counts: dict[TrialState, int] = {}
        for trial in self._read().trials.values():
            counts[trial.status] = counts.get(trial.status, 0) + 1
        return counts

    def best_trial(self, *, maximize: bool) -> Trial | None:
        """The trial with the highest (``maximize``) or lowest final value; non-finite finals are never ranked."""
        scored = [t for t in self._read().trials.values() if t.has_usable_final]
        if not scored:
            return None
        sign = -1.0 if maximize else 1.0
        return _copy_trial(min(scored, key=lambda t: (sign * t.final, t.sequence)))  # type: ignore[operator]

    def query_trials(self, query: TrialQuery) -> TrialPage:
        """One page of the trials matching ``query`` (the rules are in ``tunelab.storage._query``)."""
        page = run_query(self._read().trials.values(), query)
        return TrialPage(trials=[_copy_trial(t) for t in page.trials], total=page.total)

    # -- metrics -----------------------------------------------------------------------------------------
    def add_intermediates(self, metrics: Sequence[Metric]) -> int:
        for metric in metrics:
            if MetricKind(metric.kind) is not MetricKind.PERIODICAL:
                raise InvalidInputError(
                    f"add_intermediates() takes PERIODICAL metrics, got {metric.kind} for trial "
                    f"{metric.trial_id!r}; store final results with set_final()"
                )
        if not metrics:
            return 0
        added = 0
        with self._transaction() as state:
            for trial_id in sorted({m.trial_id for m in metrics}):
                self._trial(state, trial_id)
            touched: set[str] = set()
            for metric in metrics:
                stored = state.metrics_of(metric.trial_id)
                key = (MetricKind.PERIODICAL.value, metric.sequence)
                if key in stored:
                    continue
                state.last_metric_id += 1
                stored[key] = (state.last_metric_id, _copy_metric(metric))
                touched.add(metric.trial_id)
                added += 1
            for trial_id in touched:
                self._refresh_summary(state, trial_id)
        return added

    @staticmethod
    def _refresh_summary(state: _State, trial_id: str) -> None:
        periodical = [m for (kind, _), (_, m) in state.metrics[trial_id].items() if kind == "PERIODICAL"]
        latest = max(periodical, key=lambda m: m.sequence)
        state.trials[trial_id] = replace(
            state.trials[trial_id], intermediate_count=len(periodical), latest_intermediate=latest.value
        )

    def set_final(self, metric: Metric) -> bool:
        if MetricKind(metric.kind) is not MetricKind.FINAL:
            raise InvalidInputError(
                f"set_final() takes a FINAL metric, got {metric.kind} for trial {metric.trial_id!r}; "
                "store intermediate results with add_intermediates()"
            )
        with self._transaction() as state:
            trial = self._trial(state, metric.trial_id)
            if trial.final is not None:
                return False
            state.trials[trial.id] = replace(trial, final=float(metric.value), final_data=_norm(metric.data))
            stored = state.metrics_of(trial.id)
            key = (MetricKind.FINAL.value, metric.sequence)
            if key not in stored:
                state.last_metric_id += 1
                stored[key] = (state.last_metric_id, _copy_metric(metric))
        return True

    def reset_metrics(self, trial_id: str) -> None:
        with self._transaction() as state:
            trial = self._trial(state, trial_id)
            state.metrics.pop(trial_id, None)
            state.trials[trial_id] = replace(
                trial, final=None, final_data=None, intermediate_count=0, latest_intermediate=None
            )

    def get_metrics(self, trial_id: str, kind: MetricKind | None = None) -> list[Metric]:
        stored = self._read().metrics.get(trial_id, {})
        wanted = None if kind is None else MetricKind(kind).value
        return [
            _copy_metric(metric)
            for key, (_, metric) in sorted(stored.items())
            if wanted is None or key[0] == wanted
        ]

    def iter_metrics(self, kind: MetricKind | None = None) -> Iterator[Metric]:
        state = self._read()
        wanted = None if kind is None else MetricKind(kind).value
        for trial in sorted(state.trials.values(), key=lambda t: t.sequence):
            stored = state.metrics.get(trial.id, {})
            for key in sorted(stored, key=lambda k: (k[1], k[0])):
                if wanted is None or key[0] == wanted:
                    yield _copy_metric(stored[key][1])

    def metrics_since(self, after: int = 0, *, limit: int = 10_000) -> tuple[list[Metric], int]:
        """Metrics stored after cursor ``after`` (0 = from the start), oldest first, at most ``limit``;
        returns them and the cursor to pass next time (unchanged when nothing is new)."""
        newer = sorted(
            (row for stored in self._read().metrics.values() for row in stored.values() if row[0] > after),
            key=lambda row: row[0],
        )[:limit]
        if not newer:
            return [], after
        return [_copy_metric(m) for _, m in newer], newer[-1][0]

    # -- events ------------------------------------------------------------------------------------------
    def add_event(
        self,
        kind: str,
        *,
        trial_id: str | None = None,
        data: Mapping[str, Any] | None = None,
        timestamp: float | None = None,
    ) -> int:
        with self._transaction() as state:
            self._require_experiment(state)
            state.last_event_id += 1
            state.events.append(
                Event(
                    id=state.last_event_id,
                    timestamp=time.time() if timestamp is None else float(timestamp),
                    kind=kind,
                    trial_id=trial_id,
                    data=_norm(dict(data or {})),
                )
            )
            return state.last_event_id

    def list_events(
        self, *, trial_id: str | None = None, after_id: int = 0, limit: int = 1000
    ) -> list[Event]:
        selected = [
            e for e in self._read().events if e.id > after_id and (trial_id is None or e.trial_id == trial_id)
        ]
        return [replace(e, data=_norm(e.data)) for e in selected[:limit]]


def _copy_trial(trial: Trial) -> Trial:
    # Fresh containers, so a caller mutating what it got back changes nothing stored.
    return replace(
        trial,
        parameters=_norm(trial.parameters),
        final_data=_norm(trial.final_data),
        extra=_norm(trial.extra),
    )


def _copy_metric(metric: Metric) -> Metric:
    return replace(metric, kind=MetricKind(metric.kind), value=float(metric.value), data=_norm(metric.data))
