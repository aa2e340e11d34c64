"""SQLite-specific behaviour: file handling, pragmas, damaged files, crash durability."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tunelab.base import NotFoundError, StorageError
from tunelab.storage import ExperimentRecord, SqliteStore, TrialQuery, _sql, parse_filter
from tunelab.trial import Metric, MetricKind, Trial


def _make(path: Path, experiment_id: str = "e1") -> SqliteStore:
    store = SqliteStore(path, experiment_id)
    store.create_experiment(ExperimentRecord(id=experiment_id, name=None, config={}))
    return store


def test_pragmas(tmp_path: Path) -> None:
    with _make(tmp_path / "tunelab.db") as store:
        cursor = store._cursor()
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert cursor.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] > 0


def test_creates_parent_directory(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "tunelab.db"
    with _make(path):
        pass
    assert path.is_file()


def test_readonly_after_writer_closed(tmp_path: Path) -> None:
    path = tmp_path / "tunelab.db"
    with _make(path) as store:
        store.insert_trial(Trial(id="t", sequence=0, parameters={"x": 1}))
    with SqliteStore(path, "e1", readonly=True) as reader:
        assert reader.get_trial("t").parameters == {"x": 1}


def test_readonly_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no tunelab database"):
        SqliteStore(tmp_path / "tunelab.db", "e1", readonly=True)
    assert not (tmp_path / "tunelab.db").exists()


def test_readonly_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "tunelab.db"
    path.touch()
    with pytest.raises(StorageError, match="empty database"):
        SqliteStore(path, "e1", readonly=True)
    with SqliteStore(path, "e1") as store:  # a writer initializes an empty file
        assert store.next_sequence() == 0


def test_directory_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="is a directory"):
        SqliteStore(tmp_path, "e1")


def test_random_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tunelab.db"
    path.write_bytes(os.urandom(8192))
    for readonly in (False, True):
        with pytest.raises(StorageError, match=str(path)):
            SqliteStore(path, "e1", readonly=readonly)


def test_nni_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nni.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE ExperimentProfile (params TEXT, id TEXT, execDuration INTEGER)")
    conn.execute("CREATE TABLE TrialJobEvent (timestamp INTEGER, trialJobId TEXT, event TEXT)")
    conn.execute("CREATE TABLE MetricData (timestamp INTEGER, trialJobId TEXT, data TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match="is an NNI database"):
        SqliteStore(path, "e1")


def test_other_application_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tunelab.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO meta VALUES ('application', 'other')")
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match="not a tunelab database"):
        SqliteStore(path, "e1")


def test_corrupt_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "tunelab.db"
    with _make(path) as store, store.transaction():
        for i in range(200):
            store.insert_trial(Trial(id=f"t{i}", sequence=i, parameters={"pad": "x" * 500}))
    data = bytearray(path.read_bytes())
    page_size = 4096
    data[page_size : page_size * 4] = os.urandom(page_size * 3)  # garble pages after the header page
    path.write_bytes(bytes(data))
    with pytest.raises(StorageError, match=r"malformed|not a database|database error"):
        _read_everything(path)


def _read_everything(path: Path) -> None:
    with SqliteStore(path, "e1", readonly=True) as store:
        store.list_trials()


def test_iter_metrics_crosses_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sql, "_ITER_CHUNK", 2)
    with _make(tmp_path / "tunelab.db") as store:
        for i in range(5):
            store.insert_trial(Trial(id=f"t{i}", sequence=i * 2, parameters={}))
            store.add_intermediates([Metric(f"t{i}", MetricKind.PERIODICAL, s, s, s, 0.0) for s in range(3)])
        got = [(m.trial_id, m.sequence) for m in store.iter_metrics()]
    assert got == [(f"t{i}", s) for i in range(5) for s in range(3)]


def test_two_experiments_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    with _make(path, "a") as first, _make(path, "b") as second:
        first.insert_trial(Trial(id="t", sequence=0, parameters={"x": 1}))
        second.insert_trial(Trial(id="t", sequence=0, parameters={"x": 2}))
        assert first.get_trial("t").parameters == {"x": 1}
        assert second.list_trials()[0].parameters == {"x": 2}


_CRASHING_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from tunelab.storage import ExperimentRecord, SqliteStore
    from tunelab.trial import Metric, MetricKind, Trial
    store = SqliteStore(sys.argv[1], "e1")
    store.create_experiment(ExperimentRecord(id="e1", name=None, config={}))
    store.insert_trial(Trial(id="t", sequence=0, parameters={}))
    with store.transaction():
        store.add_intermediates([Metric("t", MetricKind.PERIODICAL, i, i, i, 0.0) for i in range(500)])
    store.insert_trial(Trial(id="uncommitted", sequence=1, parameters={}))
    with store.transaction():
        store.insert_trial(Trial(id="lost", sequence=2, parameters={}))
        os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_commits_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "tunelab.db"
    result = subprocess.run([sys.executable, "-c", _CRASHING_WRITER, str(path)], check=False, timeout=60)
    assert result.returncode == -signal.SIGKILL
    with SqliteStore(path, "e1") as store:
        assert [t.id for t in store.list_trials()] == ["t", "uncommitted"]
        assert store.get_trial("t").intermediate_count == 500


def test_query_pages_fetched_in_id_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sql, "_ID_CHUNK", 3)
    with _make(tmp_path / "tunelab.db") as store:
        for i in range(10):
            store.insert_trial(Trial(id=f"t{i}", sequence=i, parameters={"x": i % 4}))
        page = store.query_trials(parse_filter("x>=1", sort="params.x", descending=True, limit=None))
        assert [t.id for t in page.trials] == ["t3", "t7", "t2", "t6", "t1", "t5", "t9"]
        assert page.total == 7
        page = store.query_trials(TrialQuery(sort="id", descending=True, offset=2, limit=7))
        assert [t.id for t in page.trials] == ["t7", "t6", "t5", "t4", "t3", "t2", "t1"]


def test_a_write_that_finds_no_room_is_a_storage_full_error(tmp_path: Path) -> None:
    # SQLite answers SQLITE_FULL once the database reaches max_page_count, as it does on a full disk.
    from tunelab.base import StorageFullError

    with _make(tmp_path / "tunelab.db") as store:
        pages = store._cursor().execute("PRAGMA page_count").fetchone()[0]
        store._cursor().execute(f"PRAGMA max_page_count = {pages + 2}")
        store.insert_trial(Trial(id="small", sequence=0, parameters={"x": 1}))  # room for this
        with pytest.raises(StorageFullError, match="database or disk is full") as caught:
            store.insert_trial(Trial(id="big", sequence=9, parameters={"pad": "x" * 40_000}))
        assert caught.value.__cause__.sqlite_errorcode & 0xFF == sqlite3.SQLITE_FULL


def test_a_driver_error_worded_like_a_full_disk_is_not_classified_as_one(tmp_path: Path) -> None:
    # The code decides, not the text: the manager's "the disk is full" hint must not depend on wording.
    from tunelab.base import StorageFullError

    with _make(tmp_path / "tunelab.db") as store:
        error = sqlite3.OperationalError("database or disk is full (but not really)")
        assert store._is_full(error) is False
        assert store._is_full(OSError(28, "No space left on device")) is True  # ENOSPC in the chain
        with pytest.raises(StorageError) as caught, store._guard():
            raise error
        assert not isinstance(caught.value, StorageFullError)
