"""MemoryStore specifics (the shared behaviour is in tests/contract/test_storage_contract.py)."""

from __future__ import annotations

import pytest

from tunelab.base import StorageError
from tunelab.storage import ExperimentRecord, MemoryStore
from tunelab.trial import Trial


def test_connect_shares_committed_data() -> None:
    writer = MemoryStore("e")
    writer.create_experiment(ExperimentRecord(id="e", name=None, config={}))
    second_writer = writer.connect(readonly=False)
    second_writer.insert_trial(Trial(id="t", sequence=0, parameters={}))
    assert [t.id for t in writer.list_trials()] == ["t"]
    reader = writer.connect()
    with pytest.raises(StorageError, match="read-only"), reader.transaction():
        pass


def test_closing_one_store_leaves_others_open() -> None:
    writer = MemoryStore("e")
    writer.create_experiment(ExperimentRecord(id="e", name="n", config={}))
    reader = writer.connect()
    writer.close()
    assert reader.get_experiment().name == "n"
