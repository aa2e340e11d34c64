"""`export` in the shapes `nnictl experiment export` writes (NNI 3.0, seen on a real experiment):
``intermediate`` is a list of metric JSON strings with the final appended; CSV joins them with ','
inside brackets; a nested choice is one column holding the dict's Python text."""

from __future__ import annotations

import csv
import io
import json

from tunelab.manager import export_csv, export_records
from tunelab.storage import ExperimentRecord, MemoryStore
from tunelab.trial import Metric, MetricKind, Trial, TrialState


def _store() -> MemoryStore:
    store = MemoryStore("e1")
    store.create_experiment(ExperimentRecord(id="e1", name=None, config={}))
    store.insert_trial(Trial(id="vYvaa", sequence=0, parameters={"x": 0.5, "layer0": {"_name": "Empty"}},
                             status=TrialState.SUCCEEDED))
    store.add_intermediates([Metric("vYvaa", MetricKind.PERIODICAL, i, 0.5 + i, {"default": 0.5 + i, "step": i}, 1.0 + i)
                             for i in range(2)])
    store.set_final(Metric("vYvaa", MetricKind.FINAL, 0, 0.5, {"default": 0.5, "acc": 0.25}, 5.0))
    return store


def test_json_intermediate_is_metric_json_strings_with_the_final_appended() -> None:
    (record,) = export_records(_store(), intermediate=True)
    assert record == {
        "parameter": {"x": 0.5, "layer0": {"_name": "Empty"}},
        "value": '{"default": 0.5, "acc": 0.25}',
        "trialJobId": "vYvaa",
        "intermediate": ['{"default": 0.5, "step": 0}', '{"default": 1.5, "step": 1}',
                         '{"default": 0.5, "acc": 0.25}'],
    }
    assert [json.loads(entry)["default"] for entry in record["intermediate"]] == [0.5, 1.5, 0.5]


def test_csv_intermediate_and_nested_column_as_nni_writes_them() -> None:
    (row,) = csv.DictReader(io.StringIO(export_csv(_store(), intermediate=True)))
    assert row == {
        "x": "0.5", "layer0": "{'_name': 'Empty'}", "default": "0.5", "acc": "0.25", "trialJobId": "vYvaa",
        "intermediate": '[{"default": 0.5, "step": 0},{"default": 1.5, "step": 1},{"default": 0.5, "acc": 0.25}]',
    }
