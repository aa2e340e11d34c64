"""The storage contract, run over every ExperimentStore implementation.

Backends: memory, sqlite, and postgres when TUNELAB_TEST_POSTGRES_URL is set (``postgres`` marker).
"""

from __future__ import annotations

import math
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tunelab.base import ConflictError, InvalidInputError, NotFoundError, StorageError
from tunelab.storage import (
    SCHEMA_VERSION,
    Condition,
    ExperimentRecord,
    ExperimentStore,
    MemoryStore,
    Op,
    SqliteStore,
    TrialQuery,
    open_store,
    parse_filter,
)
from tunelab.trial import ExperimentStatus, Metric, MetricKind, Trial, TrialSource, TrialState

POSTGRES_URL = os.environ.get("TUNELAB_TEST_POSTGRES_URL")


class Backend:
    """Opens stores on one backend's data: a writer, readers, and reopened stores."""

    name = "?"

    def __init__(self, experiment_id: str) -> None:
        self.experiment_id = experiment_id

    def open(self, *, readonly: bool = False) -> ExperimentStore:
        raise NotImplementedError

    def set_schema_version(self, version: int) -> None:
        pytest.skip(f"{self.name} has no schema version")

    def make_foreign(self) -> None:
        """Replace the data with another application's database."""
        pytest.skip(f"{self.name} has no foreign databases")

    def cleanup(self) -> None:
        """Drop what the test created."""


class MemoryBackend(Backend):
    name = "memory"

    def __init__(self, experiment_id: str) -> None:
        super().__init__(experiment_id)
        self._root = MemoryStore(experiment_id)

    def open(self, *, readonly: bool = False) -> ExperimentStore:
        return self._root.connect(readonly=readonly)


class SqliteBackend(Backend):
    name = "sqlite"

    def __init__(self, experiment_id: str, directory: Path) -> None:
        super().__init__(experiment_id)
        self.directory = directory

    @property
    def path(self) -> Path:
        return self.directory / "tunelab.db"

    def open(self, *, readonly: bool = False) -> ExperimentStore:
        return open_store(self.directory, self.experiment_id, readonly=readonly)

    def set_schema_version(self, version: int) -> None:
        with sqlite3.connect(self.path) as conn:
            conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
        conn.close()

    def make_foreign(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        conn = sqlite3.connect(self.path)
        conn.execute("CREATE TABLE TrialJobEvent (timestamp INTEGER, trialJobId TEXT, event TEXT)")
        conn.commit()
        conn.close()


class PostgresBackend(Backend):
    """Each test gets its own PostgreSQL schema (search_path), so tests can damage it freely."""

    name = "postgres"

    def __init__(self, experiment_id: str, base_url: str) -> None:
        super().__init__(experiment_id)
        import psycopg

        self._psycopg = psycopg
        self.base_url = base_url
        self.schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {self.schema}")
        separator = "&" if "?" in base_url else "?"
        self.url = f"{base_url}{separator}options=-csearch_path%3D{self.schema}"

    def open(self, *, readonly: bool = False) -> ExperimentStore:
        return open_store(self.url, self.experiment_id, readonly=readonly)

    def _run(self, statement: str) -> None:
        with self._psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(statement)

    def set_schema_version(self, version: int) -> None:
        self._run(f"UPDATE meta SET value = '{version}' WHERE key = 'schema_version'")

    def make_foreign(self) -> None:
        self._run("DROP TABLE meta, events, metrics, trials, experiments CASCADE")
        self._run("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._run("INSERT INTO meta VALUES ('application', 'someone-else')")

    def cleanup(self) -> None:
        self._run(f"DROP SCHEMA {self.schema} CASCADE")


_BACKENDS = [
    pytest.param("memory"),
    pytest.param("sqlite"),
    pytest.param(
        "postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(POSTGRES_URL is None, reason="set TUNELAB_TEST_POSTGRES_URL to run"),
        ],
    ),
]


@pytest.fixture(params=_BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    experiment_id = f"exp{uuid.uuid4().hex[:8]}"
    made: Backend
    if request.param == "memory":
        made = MemoryBackend(experiment_id)
    elif request.param == "sqlite":
        made = SqliteBackend(experiment_id, tmp_path / experiment_id)
    else:
        assert POSTGRES_URL is not None
        made = PostgresBackend(experiment_id, POSTGRES_URL)
    yield made
    made.cleanup()


@pytest.fixture
def store(backend: Backend) -> Iterator[ExperimentStore]:
    opened = backend.open()
    yield opened
    opened.close()


def record(experiment_id: str, **changes: Any) -> ExperimentRecord:
    values: dict[str, Any] = {
        "id": experiment_id,
        "name": "mnist",
        "config": {
            "trialConcurrency": 2,
            "searchSpace": {"lr": {"_type": "loguniform", "_value": [1e-4, 0.1]}},
        },
        "created_at": 1000.0,
        "extra": {"seed": 7},
    }
    values.update(changes)
    return ExperimentRecord(**values)


def trial(sequence: int, **changes: Any) -> Trial:
    values: dict[str, Any] = {
        "id": f"t{sequence:03d}",
        "sequence": sequence,
        "parameters": {
            "lr": 0.01 * (sequence + 1),
            "optimizer": "sgd",
            "model": {"_name": "cnn", "dropout": 0.5},
        },
        "created_at": 2000.0 + sequence,
    }
    values.update(changes)
    return Trial(**values)


def periodical(trial_id: str, sequence: int, value: float, *, data: Any = None) -> Metric:
    return Metric(
        trial_id, MetricKind.PERIODICAL, sequence, value, value if data is None else data, 3000.0 + sequence
    )


def final(trial_id: str, value: float, *, data: Any = None) -> Metric:
    return Metric(trial_id, MetricKind.FINAL, 0, value, value if data is None else data, 4000.0)


@pytest.fixture
def ready(store: ExperimentStore) -> ExperimentStore:
    """A store whose experiment exists."""
    store.create_experiment(record(store.experiment_id))
    return store


class TestStoreContract:
    # -- experiment ------------------------------------------------------------------------------------
    def test_is_an_experiment_store(self, store: ExperimentStore) -> None:
        assert isinstance(store, ExperimentStore)
        assert store.readonly is False

    def test_create_and_get_experiment(self, store: ExperimentStore) -> None:
        made = record(store.experiment_id, status=ExperimentStatus.RUNNING, run_started_at=1001.5)
        store.create_experiment(made)
        assert store.get_experiment() == made

    def test_get_missing_experiment(self, store: ExperimentStore) -> None:
        with pytest.raises(NotFoundError, match=store.experiment_id):
            store.get_experiment()

    def test_duplicate_experiment_conflicts(self, ready: ExperimentStore) -> None:
        with pytest.raises(ConflictError, match="already exists"):
            ready.create_experiment(record(ready.experiment_id, name="other"))
        assert ready.get_experiment().name == "mnist"

    def test_experiment_id_must_match(self, store: ExperimentStore) -> None:
        with pytest.raises(InvalidInputError, match="does not match"):
            store.create_experiment(record("someone-else"))

    def test_update_experiment_changes_given_fields_only(self, ready: ExperimentStore) -> None:
        ready.update_experiment(status=ExperimentStatus.ERROR, error="boom", ended_at=1500.0, elapsed=12.5)
        got = ready.get_experiment()
        assert (got.status, got.error, got.ended_at, got.elapsed) == (
            ExperimentStatus.ERROR,
            "boom",
            1500.0,
            12.5,
        )
        assert got.name == "mnist"
        assert got.config == record(ready.experiment_id).config
        ready.update_experiment(
            error="", clear_ended_at=True, config={"trialConcurrency": 4}, extra={"k": [1]}
        )
        got = ready.get_experiment()
        assert got.error is None
        assert got.ended_at is None
        assert got.config == {"trialConcurrency": 4}
        assert got.extra == {"k": [1]}
        assert got.status is ExperimentStatus.ERROR

    def test_update_missing_experiment(self, store: ExperimentStore) -> None:
        with pytest.raises(NotFoundError):
            store.update_experiment(status=ExperimentStatus.DONE)
        with pytest.raises(NotFoundError):
            store.update_experiment()

    # -- trials ----------------------------------------------------------------------------------------
    def test_insert_and_get_trial(self, ready: ExperimentStore) -> None:
        made = trial(
            0,
            status=TrialState.RUNNING,
            source=TrialSource.CUSTOMIZED,
            started_at=2100.0,
            pid=42,
            message="hello",
            attempt=1,
            extra={"gpu": [0, 1]},
        )
        ready.insert_trial(made)
        assert ready.get_trial("t000") == made

    def test_insert_trial_with_final(self, ready: ExperimentStore) -> None:
        made = trial(0, status=TrialState.SUCCEEDED, final=0.9, final_data={"default": 0.9, "loss": 0.2})
        ready.insert_trial(made)
        assert ready.get_trial("t000") == made
        assert ready.set_final(final("t000", 0.1)) is False

    def test_insert_trial_needs_experiment(self, store: ExperimentStore) -> None:
        with pytest.raises(NotFoundError, match="create_experiment"):
            store.insert_trial(trial(0))

    def test_duplicate_trial_id_conflicts(self, ready: ExperimentStore) -> None:
        ready.insert_trial(trial(0))
        with pytest.raises(ConflictError, match="t000"):
            ready.insert_trial(trial(5, id="t000"))

    def test_duplicate_sequence_conflicts(self, ready: ExperimentStore) -> None:
        ready.insert_trial(trial(0))
        with pytest.raises(ConflictError, match="sequence 0"):
            ready.insert_trial(trial(0, id="other"))
        assert [t.id for t in ready.list_trials()] == ["t000"]

    def test_get_missing_trial(self, ready: ExperimentStore) -> None:
        with pytest.raises(NotFoundError, match="nope"):
            ready.get_trial("nope")

    def test_update_trial(self, ready: ExperimentStore) -> None:
        ready.insert_trial(trial(0))
        ready.update_trial("t000", status=TrialState.RUNNING, started_at=2500.0, pid=99, attempt=2)
        got = ready.get_trial("t000")
        assert (got.status, got.started_at, got.pid, got.attempt) == (TrialState.RUNNING, 2500.0, 99, 2)
        ready.update_trial(
            "t000",
            status=TrialState.FAILED,
            ended_at=2600.0,
            message="exit 1",
            clear_pid=True,
            extra={"exit_code": 1},
        )
        got = ready.get_trial("t000")
        assert (got.status, got.ended_at, got.message, got.pid) == (TrialState.FAILED, 2600.0, "exit 1", None)
        assert got.extra == {"exit_code": 1}
        assert got.duration == 100.0
        assert got.parameters == trial(0).parameters

    @pytest.mark.parametrize(("old", "new"), [
        (old, new) for old in TrialState for new in TrialState if not old.can_move_to(new)
    ])
    def test_illegal_state_moves_are_refused_and_change_nothing(
        self, ready: ExperimentStore, old: TrialState, new: TrialState
    ) -> None:
        ready.insert_trial(trial(0, status=old))
        with pytest.raises(ConflictError, match=f"from {old.value} to {new.value}"):
            ready.update_trial("t000", status=new, message="should not be stored", ended_at=9999.0)
        got = ready.get_trial("t000")
        assert (got.status, got.message, got.ended_at) == (old, trial(0, status=old).message, trial(0).ended_at)

    def test_every_legal_state_move_is_taken(self, ready: ExperimentStore) -> None:
        moves = [(old, new) for old in TrialState for new in TrialState if old.can_move_to(new)]
        for sequence, (old, new) in enumerate(moves):
            ready.insert_trial(trial(sequence, status=old))
            ready.update_trial(f"t{sequence:03d}", status=new)
            assert ready.get_trial(f"t{sequence:03d}").status == new

    def test_update_missing_trial(self, ready: ExperimentStore) -> None:
        with pytest.raises(NotFoundError, match="ghost"):
            ready.update_trial("ghost", status=TrialState.RUNNING)
        with pytest.raises(NotFoundError, match="ghost"):
            ready.update_trial("ghost")

    def test_list_and_count_trials(self, ready: ExperimentStore) -> None:
        for sequence, status in [
            (2, TrialState.FAILED),
            (0, TrialState.SUCCEEDED),
            (1, TrialState.RUNNING),
            (3, TrialState.SUCCEEDED),
        ]:
            ready.insert_trial(trial(sequence, status=status))
        assert [t.sequence for t in ready.list_trials()] == [0, 1, 2, 3]
        assert [t.sequence for t in ready.list_trials([TrialState.SUCCEEDED, TrialState.FAILED])] == [0, 2, 3]
        assert ready.list_trials([]) == []
        assert ready.count_trials() == {TrialState.SUCCEEDED: 2, TrialState.RUNNING: 1, TrialState.FAILED: 1}

    def test_next_sequence(self, ready: ExperimentStore) -> None:
        assert ready.next_sequence() == 0
        ready.insert_trial(trial(0))
        ready.insert_trial(trial(7))
        assert ready.next_sequence() == 8

    def test_stored_values_are_copies(self, ready: ExperimentStore) -> None:
        params = {"lr": 0.1, "layers": [1, 2]}
        ready.insert_trial(trial(0, parameters=params))
        params["layers"].append(3)
        got = ready.get_trial("t000")
        assert got.parameters == {"lr": 0.1, "layers": [1, 2]}
        got.parameters["lr"] = 5  # type: ignore[index]
        assert ready.get_trial("t000").parameters["lr"] == 0.1

    def test_non_finite_floats_round_trip(self, ready: ExperimentStore) -> None:
        ready.insert_trial(trial(0, parameters={"x": math.inf, "y": -math.inf}))
        assert ready.set_final(final("t000", math.nan, data={"default": math.nan, "loss": math.inf}))
        got = ready.get_trial("t000")
        assert got.parameters == {"x": math.inf, "y": -math.inf}
        assert got.final is not None
        assert math.isnan(got.final)
        assert not got.has_usable_final
        assert math.isnan(got.final_data["default"])
        assert got.final_data["loss"] == math.inf
        assert ready.set_final(final("t000", 0.5)) is False, "a NaN final is still the first final"
        [stored] = ready.get_metrics("t000", MetricKind.FINAL)
        assert math.isnan(stored.value)

    # -- metrics ---------------------------------------------------------------------------------------
    def test_first_final_wins(self, ready: ExperimentStore) -> None:
        ready.insert_trial(trial(0))
        assert ready.set_final(final("t000", 0.8, data={"default": 0.8, "loss": 0.3})) is True
        assert ready.set_final(final("t000", 0.1)) is False
        got = ready.get_trial("t000")
        assert got.final == 0.8
        assert got.final_data == {"default": 0.8, "loss": 0.3}
        assert ready.get_metrics("t000", MetricKind.FINAL) == [
            final("t000", 0.8, data={"default": 0.8, "loss": 0.3})
        ]

    def test_reset_metrics_forgets_an_attempt(self, ready: ExperimentStore) -> None:
        ready.insert_trial(trial(0))
        ready.insert_trial(trial(1))
        ready.add_intermediates([periodical("t000", 0, 0.5), periodical("t000", 1, 0.6), periodical("t001", 0, 0.1)])
        ready.set_final(final("t000", 0.9))
        ready.reset_metrics("t000")
        got = ready.get_trial("t000")
        assert (got.final, got.final_data, got.intermediate_count, got.latest_intermediate) == (None, None, 0, None)
        assert ready.get_metrics("t000") == []
        assert [m.value for m in ready.get_metrics("t001")] == [0.1]  # other trials untouched
        ready.add_intermediates([periodical("t000", 0, 0.2)])
        assert ready.set_final(final("t000", 0.3)) is True  # the new attempt's final is accepted
        assert ready.get_trial("t000").final == 0.3
        with pytest.raises(NotFoundError):
            ready.reset_metrics("ghost")

    def test_set_final_checks(self, ready: ExperimentStore) -> None:
        with pytest.raises(NotFoundError, match="ghost"):
            ready.set_final(final("ghost", 1.0))
        ready.insert_trial(trial(0))
        with pytest.raises(InvalidInputError, match="FINAL"):
            ready.set_final(periodical("t000", 0, 1.0))

    def test_intermediates_dedupe_and_summary(self, ready: ExperimentStore) -> None:
        ready.insert_trial(trial(0))
        ready.insert_trial(trial(1))
        batch = [periodical("t000", 1, 0.2), periodical("t000", 0, 0.1), periodical("t001", 0, 0.5)]
        assert ready.add_intermediates(batch) == 3
        again = [periodical("t000", 1, 9.9), periodical("t000", 2, 0.3)]
        assert ready.add_intermediates(again) == 1
        first = ready.get_trial("t000")
        assert (first.intermediate_count, first.latest_intermediate) == (3, 0.3)
        second = ready.get_trial("t001")
        assert (second.intermediate_count, second.latest_intermediate) == (1, 0.5)
        assert [m.value for m in ready.get_metrics("t000")] == [0.1, 0.2, 0.3]
        assert ready.add_intermediates([]) == 0

    def test_latest_intermediate_is_highest_sequence(self, ready: ExperimentStore) -> None:
        ready.insert_trial(trial(0))
        ready.add_intermediates([periodical("t000", 5, 0.5)])
        ready.add_intermediates([periodical("t000", 2, 0.2)])  # late arrival of an older report
        got = ready.get_trial("t000")
        assert (got.intermediate_count, got.latest_intermediate) == (2, 0.5)

    def test_nan_intermediate(self, ready: ExperimentStore) -> None:
        ready.insert_trial(trial(0))
        ready.add_intermediates([periodical("t000", 0, math.nan)])
        got = ready.get_trial("t000")
        assert got.intermediate_count == 1
        assert got.latest_intermediate is not None
        assert math.isnan(got.latest_intermediate)

    def test_intermediates_for_unknown_trial_write_nothing(self, ready: ExperimentStore) -> None:
        ready.insert_trial(trial(0))
        with pytest.raises(NotFoundError, match="ghost"):
            ready.add_intermediates([periodical("t000", 0, 0.1), periodical("ghost", 0, 0.1)])
        assert ready.get_metrics("t000") == []
        assert ready.get_trial("t000").intermediate_count == 0

    def test_intermediates_reject_final_kind(self, ready: ExperimentStore) -> None:
        ready.insert_trial(trial(0))
        with pytest.raises(InvalidInputError, match="PERIODICAL"):
            ready.add_intermediates([final("t000", 1.0)])

    def test_get_metrics_order_and_kind(self, ready: ExperimentStore) -> None:
        ready.insert_trial(trial(0))
        ready.add_intermediates(
            [periodical("t000", 1, 0.2, data={"default": 0.2, "acc": 0.9}), periodical("t000", 0, 0.1)]
        )
        ready.set_final(final("t000", 0.3))
        everything = ready.get_metrics("t000")
        assert [(m.kind, m.sequence) for m in everything] == [
            (MetricKind.FINAL, 0),
            (MetricKind.PERIODICAL, 0),
            (MetricKind.PERIODICAL, 1),
        ]
        assert everything[2].data == {"default": 0.2, "acc": 0.9}
        assert [m.sequence for m in ready.get_metrics("t000", MetricKind.PERIODICAL)] == [0, 1]
        assert ready.get_metrics("ghost") == []

    def test_iter_metrics_by_trial_sequence(self, ready: ExperimentStore) -> None:
        ready.insert_trial(trial(1, id="b"))
        ready.insert_trial(trial(0, id="a"))
        ready.add_intermediates([periodical("b", 0, 1.0), periodical("a", 1, 0.2), periodical("a", 0, 0.1)])
        ready.set_final(final("b", 2.0))
        assert [(m.trial_id, m.sequence, m.kind) for m in ready.iter_metrics()] == [
            ("a", 0, MetricKind.PERIODICAL),
            ("a", 1, MetricKind.PERIODICAL),
            ("b", 0, MetricKind.FINAL),
            ("b", 0, MetricKind.PERIODICAL),
        ]
        assert [m.trial_id for m in ready.iter_metrics(MetricKind.FINAL)] == ["b"]

    def test_metrics_since_cursor(self, ready: ExperimentStore) -> None:
        ready.insert_trial(trial(0))
        assert ready.metrics_since(0) == ([], 0)
        ready.add_intermediates([periodical("t000", 0, 0.1), periodical("t000", 1, 0.2)])
        batch, cursor = ready.metrics_since(0)
        assert [m.sequence for m in batch] == [0, 1]
        assert ready.metrics_since(cursor) == ([], cursor)
        ready.add_intermediates([periodical("t000", 1, 0.2)])  # a duplicate adds nothing
        assert ready.metrics_since(cursor) == ([], cursor)
        ready.add_intermediates([periodical("t000", 2, 0.3), periodical("t000", 3, 0.4)])
        ready.set_final(final("t000", 0.5))
        first, middle = ready.metrics_since(cursor, limit=2)
        assert [m.sequence for m in first] == [2, 3]
        rest, end = ready.metrics_since(middle)
        assert [m.kind for m in rest] == [MetricKind.FINAL]
        assert end > middle > cursor

    # -- events ----------------------------------------------------------------------------------------
    def test_events(self, ready: ExperimentStore) -> None:
        first = ready.add_event("EXPERIMENT_STARTED", timestamp=10.0)
        second = ready.add_event("TRIAL_STATE", trial_id="t1", data={"status": "RUNNING"})
        third = ready.add_event("TRIAL_STATE", trial_id="t2", data={"status": "FAILED", "nested": {"a": [1]}})
        assert first < second < third
        events = ready.list_events()
        assert [e.id for e in events] == [first, second, third]
        assert events[0].timestamp == 10.0
        assert events[0].data == {}
        assert events[2].data == {"status": "FAILED", "nested": {"a": [1]}}
        assert events[1].timestamp > 1e9  # defaulted to now
        assert [e.id for e in ready.list_events(trial_id="t2")] == [third]
        assert [e.id for e in ready.list_events(after_id=first)] == [second, third]
        assert [e.id for e in ready.list_events(limit=1)] == [first]

    def test_event_needs_experiment(self, store: ExperimentStore) -> None:
        with pytest.raises(NotFoundError):
            store.add_event("X")

    # -- transactions and readers ----------------------------------------------------------------------
    def test_transaction_commits_once_at_the_end(self, backend: Backend, ready: ExperimentStore) -> None:
        reader = backend.open(readonly=True)
        try:
            with ready.transaction():
                ready.insert_trial(trial(0))
                with ready.transaction():  # nested: joins the outer one
                    ready.add_intermediates([periodical("t000", i, i / 10) for i in range(1000)])
                assert ready.get_trial("t000").intermediate_count == 1000, "the writer sees its own writes"
                assert reader.list_trials() == [], "nothing is visible before the outer commit"
            assert reader.get_trial("t000").intermediate_count == 1000
        finally:
            reader.close()

    def test_transaction_rolls_back_on_error(self, ready: ExperimentStore) -> None:
        ready.insert_trial(trial(0))

        def fail_half_way() -> None:
            with ready.transaction():
                ready.insert_trial(trial(1))
                ready.set_final(final("t000", 1.0))
                with ready.transaction():
                    ready.add_event("X")
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            fail_half_way()
        assert [t.id for t in ready.list_trials()] == ["t000"]
        assert ready.get_trial("t000").final is None
        assert ready.list_events() == []
        ready.insert_trial(trial(1))  # the store is usable after a rollback
        assert ready.next_sequence() == 2

    def test_conflict_inside_transaction_keeps_it_usable(self, ready: ExperimentStore) -> None:
        with ready.transaction():
            ready.insert_trial(trial(0))
            with pytest.raises(ConflictError):
                ready.insert_trial(trial(0))
            ready.insert_trial(trial(1))
        assert ready.next_sequence() == 2

    def test_reader_sees_commits(self, backend: Backend, ready: ExperimentStore) -> None:
        reader = backend.open(readonly=True)
        try:
            assert reader.readonly is True
            assert reader.get_experiment().name == "mnist"
            ready.insert_trial(trial(0))
            ready.add_intermediates([periodical("t000", 0, 0.1)])
            assert reader.get_trial("t000").intermediate_count == 1
            ready.update_trial("t000", status=TrialState.RUNNING)
            assert reader.count_trials() == {TrialState.RUNNING: 1}
        finally:
            reader.close()

    def test_reader_cannot_write(self, backend: Backend, ready: ExperimentStore) -> None:
        reader = backend.open(readonly=True)
        try:
            with pytest.raises(StorageError, match="read-only"):
                reader.insert_trial(trial(0))
            with pytest.raises(StorageError, match="read-only"):
                reader.add_event("X")
        finally:
            reader.close()
        assert ready.list_trials() == []

    def test_reopen_keeps_everything(self, backend: Backend, ready: ExperimentStore) -> None:
        ready.insert_trial(trial(0, status=TrialState.SUCCEEDED))
        ready.add_intermediates([periodical("t000", 0, 0.1)])
        ready.set_final(final("t000", 0.7))
        event = ready.add_event("DONE", data={"x": 1})
        before = (ready.get_experiment(), ready.list_trials(), ready.get_metrics("t000"), ready.list_events())
        ready.close()
        again = backend.open()
        try:
            after = (
                again.get_experiment(),
                again.list_trials(),
                again.get_metrics("t000"),
                again.list_events(),
            )
            assert after == before
            assert again.add_event("MORE") > event
        finally:
            again.close()

    def test_closed_store_raises(self, ready: ExperimentStore) -> None:
        ready.close()
        with pytest.raises(StorageError, match="closed"):
            ready.get_experiment()
        ready.close()  # idempotent

    def test_best_trial(self, ready: ExperimentStore) -> None:
        assert ready.best_trial(maximize=True) is None  # type: ignore[attr-defined]
        for sequence, value in enumerate([0.5, math.nan, 0.9, 0.1, math.inf, -math.inf]):
            ready.insert_trial(trial(sequence))
            ready.set_final(final(f"t{sequence:03d}", value))
        ready.insert_trial(trial(9))
        # non-finite finals are never ranked (docs/json.md): neither inf nor -inf wins
        assert ready.best_trial(maximize=True).id == "t002"  # type: ignore[attr-defined]
        assert ready.best_trial(maximize=False).id == "t003"  # type: ignore[attr-defined]

    # -- schema ----------------------------------------------------------------------------------------
    def test_newer_schema_version_is_refused(self, backend: Backend, ready: ExperimentStore) -> None:
        ready.close()
        backend.set_schema_version(SCHEMA_VERSION + 1)
        with pytest.raises(StorageError, match=f"schema version {SCHEMA_VERSION + 1}.*upgrade tunelab"):
            backend.open()
        with pytest.raises(StorageError, match="newer tunelab"):
            backend.open(readonly=True)

    def test_foreign_database_is_refused(self, backend: Backend, store: ExperimentStore) -> None:
        store.close()
        backend.make_foreign()
        with pytest.raises(StorageError, match=r"not a tunelab database|NNI database"):
            backend.open()


def test_sqlite_store_is_the_directory_default(tmp_path: Path) -> None:
    opened = open_store(tmp_path, "e")
    try:
        assert isinstance(opened, SqliteStore)
        assert opened.path == tmp_path / "tunelab.db"
    finally:
        opened.close()


# -- trial queries -----------------------------------------------------------------------------------------
def _query_fixture_trials() -> list[tuple[Trial, Any]]:
    """(trial, final metric data or None) covering the query rules."""
    s, f, r, w = TrialState.SUCCEEDED, TrialState.FAILED, TrialState.RUNNING, TrialState.WAITING
    rows: list[tuple[dict[str, Any], Any]] = [
        (
            {"parameters": {"lr": 0.1, "optimizer": "sgd", "model": {"_name": "cnn", "dropout": 0.5}},
             "status": s, "started_at": 100.0, "ended_at": 160.0},
            {"default": 0.9, "loss": 0.1},
        ),
        (
            {"parameters": {"lr": 0.01, "optimizer": "adam", "model": {"_name": "mlp", "hidden": 64}},
             "status": f, "started_at": 100.0, "ended_at": 110.0, "message": "CUDA out of memory"},
            None,
        ),
        (
            {"parameters": {"lr": 0.001, "optimizer": "sgd", "model": {"_name": "cnn", "dropout": 0.2}},
             "status": s, "started_at": 100.0, "ended_at": 130.0},
            0.7,
        ),
        (
            {"parameters": {"lr": 0.05, "optimizer": "adam", "model": {"_name": "cnn", "dropout": 0.3}},
             "status": r, "started_at": 200.0},
            None,
        ),
        ({"parameters": {"lr": "auto", "optimizer": "sgd", "flag": True}, "status": w}, None),
        (
            {"parameters": {"lr": 0.2, "optimizer": "rmsprop", "model": {"_name": "mlp", "hidden": 128}},
             "status": s, "started_at": 100.0, "ended_at": 100.0},
            math.nan,
        ),
    ]  # fmt: skip
    return [(trial(i, **fields), data) for i, (fields, data) in enumerate(rows)]


@pytest.fixture
def filled(ready: ExperimentStore) -> ExperimentStore:
    with ready.transaction():
        for made, data in _query_fixture_trials():
            ready.insert_trial(made)
            if data is not None:
                value = data["default"] if isinstance(data, dict) else data
                ready.set_final(Metric(made.id, MetricKind.FINAL, 0, value, data, 0.0))
        ready.add_intermediates([periodical("t003", i, i / 10) for i in range(3)])
    return ready


def _ids(store: ExperimentStore, query: TrialQuery | str, **options: Any) -> list[int]:
    if isinstance(query, str):
        query = parse_filter(query, **options)
    return [t.sequence for t in store.query_trials(query).trials]


class TestQueryContract:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("", [0, 1, 2, 3, 4, 5]),
            ("status:SUCCEEDED", [0, 2, 5]),
            ("status:failed,running", [1, 3]),
            ("status!=SUCCEEDED", [1, 3, 4]),
            ("lr>0.01", [0, 3, 5]),
            ("lr >= 0.01", [0, 1, 3, 5]),
            ("lr<0.05", [1, 2]),
            ("lr=auto", [4]),
            ("optimizer == 'sgd'", [0, 2, 4]),
            ("optimizer!=sgd", [1, 3, 5]),
            ("optimizer=adam,rmsprop", [1, 3, 5]),
            ("optimizer!=adam,rmsprop", [0, 2, 4]),
            ("optimizer>b", [0, 2, 4, 5]),
            ("optimizer<=adam", [1, 3]),
            ("model._name=cnn", [0, 2, 3]),
            ("model.dropout=0.25..0.5", [0, 3]),
            ("model.dropout!=0.5", [1, 2, 3, 4, 5]),
            ("model.hidden>=64 model._name:mlp", [1, 5]),
            ("flag=true", [4]),
            ("flag=false", []),
            ("final=0.75..1", [0]),
            ("final>0.5", [0, 2]),
            ("final!=0.9", [1, 2, 3, 4, 5]),
            ("metric.loss<0.2", [0]),
            ("metric.default>=0.9", [0]),
            ("duration>=30", [0, 2]),
            ("duration=0", [5]),
            ("intermediate_count>0", [3]),
            ("sequence>=4", [4, 5]),
            ("cuda", [1]),
            ("MLP", [1, 5]),
            ("fail", [1]),
            ("2", [2]),
            ("0.05", [3]),
            ("t004", [4]),
            ("cnn status:SUCCEEDED", [0, 2]),
            ("optimizer=sgd status:SUCCEEDED final>0.8", [0]),
            ("nothing-matches-this", []),
        ],
    )
    def test_filters(self, filled: ExperimentStore, text: str, expected: list[int]) -> None:
        assert _ids(filled, text, limit=None) == expected

    @pytest.mark.parametrize(
        ("sort", "descending", "expected"),
        [
            ("sequence", True, [5, 4, 3, 2, 1, 0]),
            ("final", True, [0, 2, 1, 3, 4, 5]),
            ("final", False, [2, 0, 1, 3, 4, 5]),
            ("params.lr", False, [2, 1, 3, 0, 5, 4]),
            ("params.lr", True, [4, 5, 0, 3, 1, 2]),
            ("params.model.dropout", False, [2, 3, 0, 1, 4, 5]),
            ("params.optimizer", False, [1, 3, 5, 0, 2, 4]),
            ("metric.loss", False, [0, 1, 2, 3, 4, 5]),
            ("duration", True, [0, 2, 1, 5, 3, 4]),
            ("duration", False, [5, 1, 2, 0, 3, 4]),
            ("status", False, [1, 3, 0, 2, 5, 4]),
            ("id", True, [5, 4, 3, 2, 1, 0]),
            ("started_at", True, [3, 0, 1, 2, 5, 4]),
            ("ended_at", False, [5, 1, 2, 0, 3, 4]),
            ("intermediate_count", True, [3, 0, 1, 2, 4, 5]),
            ("latest_intermediate", True, [3, 0, 1, 2, 4, 5]),
        ],
    )
    def test_sorting(self, filled: ExperimentStore, sort: str, descending: bool, expected: list[int]) -> None:
        assert _ids(filled, TrialQuery(sort=sort, descending=descending)) == expected

    def test_paging_and_total(self, filled: ExperimentStore) -> None:
        page = filled.query_trials(TrialQuery(offset=1, limit=2))
        assert [t.sequence for t in page.trials] == [1, 2]
        assert page.total == 6
        page = filled.query_trials(parse_filter("status:SUCCEEDED", offset=2, limit=5))
        assert ([t.sequence for t in page.trials], page.total) == ([5], 3)
        page = filled.query_trials(TrialQuery(offset=10))
        assert (page.trials, page.total) == ([], 6)

    def test_pages_hold_full_trials(self, filled: ExperimentStore) -> None:
        [got] = filled.query_trials(parse_filter("t003")).trials
        assert got == filled.get_trial("t003")
        assert got.intermediate_count == 3

    def test_conditions_built_directly(self, filled: ExperimentStore) -> None:
        query = TrialQuery(
            statuses=(TrialState.SUCCEEDED, TrialState.RUNNING),
            parameters=(Condition("model._name", Op.IN, ("cnn", "other")),),
            fields=(Condition("final", Op.BETWEEN, 0.0, 0.8),),
        )
        assert _ids(filled, query) == [2]

    def test_text_with_json_escaped_characters(self, ready: ExperimentStore) -> None:
        ready.insert_trial(trial(0, parameters={"note": 'say "hi" \\ ok', "tags": ["Ünïcode", "x"]}))
        ready.insert_trial(trial(1, parameters={"note": "plain"}))
        for term in ['"hi"', "\\ ok", "Ünï", "X", "say"]:
            assert _ids(ready, TrialQuery(text=(term,))) == [0], term
        assert _ids(ready, TrialQuery(text=("note",))) == [], "keys are not searched"

    def test_text_matches_the_users_note(self, ready: ExperimentStore) -> None:
        ready.insert_trial(trial(0))
        ready.insert_trial(trial(1))
        ready.update_trial(trial(1).id, extra={"note": "Diverged after warm-up, see run log"})
        assert _ids(ready, TrialQuery(text=("diverged",))) == [1]
        assert _ids(ready, TrialQuery(text=("WARM-UP",))) == [1]
        assert _ids(ready, TrialQuery(text=("note",))) == [], "the key itself is not searched"
