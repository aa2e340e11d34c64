"""open_store() location handling, scan_experiments() and the package's public names."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tunelab.storage as storage
from tunelab.base import NotFoundError, StorageError
from tunelab.storage import (
    ExperimentRecord,
    SqliteStore,
    open_store,
    optimize_mode,
    scan_experiments,
)
from tunelab.trial import Metric, MetricKind, Trial, TrialState


def test_public_names() -> None:
    # isort-style order, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions
    assert storage.__all__ == sorted(storage.__all__, key=lambda n: (not n.isupper(), n[0].islower(), n))
    assert set(storage.__all__) >= {
        "ExperimentRecord",
        "ExperimentStore",
        "MemoryStore",
        "SqliteStore",
        "PostgresStore",
        "open_store",
        "scan_experiments",
        "ExperimentListing",
        "SCHEMA_VERSION",
    }
    for name in storage.__all__:
        assert getattr(storage, name) is not None


def test_open_store_accepts_dir_or_db_file(tmp_path: Path) -> None:
    with open_store(tmp_path / "exp", "e") as store:  # type: ignore[attr-defined]
        assert isinstance(store, SqliteStore)
        assert store.path == tmp_path / "exp" / "tunelab.db"
    with open_store(str(tmp_path / "exp" / "tunelab.db"), "e", readonly=True) as store:  # type: ignore[attr-defined]
        assert store.readonly


def test_open_store_readonly_missing(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        open_store(tmp_path / "nothing", "e", readonly=True)


def test_open_store_unknown_scheme() -> None:
    with pytest.raises(StorageError, match="unsupported scheme 'mysql'"):
        open_store("mysql://localhost/db", "e")


def _experiment(
    root: Path, experiment_id: str, finals: list[float], *, mode: str | None = None, created_at: float = 0.0
) -> None:
    config = {} if mode is None else {"tuner": {"name": "TPE", "classArgs": {"optimize_mode": mode}}}
    with SqliteStore(root / experiment_id / "tunelab.db", experiment_id) as store:
        store.create_experiment(
            ExperimentRecord(id=experiment_id, name=experiment_id, config=config, created_at=created_at)
        )
        for i, value in enumerate(finals):
            store.insert_trial(Trial(id=f"t{i}", sequence=i, parameters={}, status=TrialState.SUCCEEDED))
            store.set_final(Metric(f"t{i}", MetricKind.FINAL, 0, value, value, 0.0))
        store.insert_trial(Trial(id="w", sequence=len(finals), parameters={}))


def test_scan_experiments(tmp_path: Path) -> None:
    _experiment(tmp_path, "maxi", [0.2, 0.9, math.nan], created_at=2.0)
    _experiment(tmp_path, "mini", [0.2, 0.9], mode="minimize", created_at=1.0)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "tunelab.db").write_bytes(os.urandom(4096))
    (tmp_path / "not-an-experiment").mkdir()
    (tmp_path / "stray.txt").write_text("x")
    listings = scan_experiments(tmp_path)
    assert [item.experiment_id for item in listings] == ["mini", "maxi", "broken"]
    mini, maxi, broken = listings
    assert mini.best_final == 0.2
    assert maxi.best_final == 0.9
    assert maxi.trial_counts == {TrialState.SUCCEEDED: 3, TrialState.WAITING: 1}
    assert maxi.trial_total == 4
    assert maxi.record is not None
    assert maxi.record.name == "maxi"
    assert maxi.error is None
    assert broken.record is None
    assert broken.error
    assert "broken" in broken.error


def test_scan_missing_root(tmp_path: Path) -> None:
    assert scan_experiments(tmp_path / "none") == []


def test_scan_reports_id_mismatch(tmp_path: Path) -> None:
    _experiment(tmp_path, "real", [])
    (tmp_path / "real").rename(tmp_path / "renamed")
    [listing] = scan_experiments(tmp_path)
    assert listing.error is not None
    assert "renamed" in listing.error


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, "maximize"),
        ({"tuner": {"name": "TPE", "classArgs": {"optimize_mode": "minimize"}}}, "minimize"),
        ({"tuner": {"class_args": {"optimizeMode": "Minimize"}}}, "minimize"),
        ({"tuner": {"classArgs": {"optimize_mode": "sideways"}}}, "maximize"),
        ({"tuner": "TPE"}, "maximize"),
    ],
)
def test_optimize_mode(config: dict[str, object], expected: str) -> None:
    assert optimize_mode(config) == expected


def test_open_store_postgres_unreachable_hides_password() -> None:
    with pytest.raises(StorageError, match="cannot connect to PostgreSQL") as caught:
        open_store("postgresql://bob:secret@127.0.0.1:1/tl", "e")
    assert "secret" not in str(caught.value)
    assert "bob:***@127.0.0.1:1/tl" in str(caught.value)


def test_importing_storage_does_not_import_psycopg() -> None:
    code = "import sys, tunelab.storage; print('psycopg' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
