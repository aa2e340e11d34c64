"""NNI's result file shapes: JSON (import and export forms) and export CSV, with field-naming errors."""

from __future__ import annotations

import json

import pytest

from tunelab.base import InvalidInputError
from tunelab.compat import (
    ResultRecord,
    add_imported_results,
    decode_metric,
    parse_results_csv,
    parse_results_json,
)
from tunelab.storage import ExperimentRecord, MemoryStore
from tunelab.trial import TrialSource, TrialState


def test_json_import_and_export_shapes() -> None:
    records = parse_results_json([
        {"parameter": {"lr": 0.1}, "value": 0.9},
        {"parameter": {"lr": 0.2}, "value": {"default": 0.5, "loss": 1}},
        {"parameter": {"lr": 0.3}, "value": json.dumps({"default": 0.4}), "trialJobId": "abc"},
    ])
    assert [r.value for r in records] == [0.9, {"default": 0.5, "loss": 1}, {"default": 0.4}]


@pytest.mark.parametrize(("data", "needle"), [
    ({"parameter": {}}, "must be a JSON list"),
    ([{"value": 1}], "results[0]: needs the keys"),
    ([{"parameter": [1], "value": 1}], "results[0].parameter"),
    ([{"parameter": {}, "value": "high"}], "results[0].value"),
    ([{"parameter": {}, "value": {"acc": 1}}], "'default'"),
])
def test_json_errors_name_the_record(data: object, needle: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_results_json(data)
    assert needle in info.value.message


def test_csv_export_shape_with_nested_and_mixed_metrics() -> None:
    text = ("lr,opt._name,opt.momentum,reward,default,loss,trialJobId\n"
            "0.1,sgd,0.9,0.7,,,a\n"
            "0.2,adam,,,0.5,2,b\n")
    records = parse_results_csv(text, ["lr", "opt"])
    assert records == [
        ResultRecord({"lr": 0.1, "opt": {"_name": "sgd", "momentum": 0.9}}, 0.7),
        ResultRecord({"lr": 0.2, "opt": {"_name": "adam"}}, {"default": 0.5, "loss": 2}),
    ]
    with pytest.raises(InvalidInputError, match="no parameters"):
        parse_results_csv(text, ["other"])


def test_csv_nested_choice_as_nni_writes_it() -> None:
    # nnictl's CSV holds a nested choice as one column with the dict's Python text.
    text = "opt,reward,trialJobId\n\"{'_name': 'sgd', 'momentum': 0.9}\",0.7,a\n"
    assert parse_results_csv(text, ["opt"]) == [ResultRecord({"opt": {"_name": "sgd", "momentum": 0.9}}, 0.7)]


def test_decode_metric_json_in_json() -> None:
    assert decode_metric(json.dumps(json.dumps({"default": 1}))) == {"default": 1}
    assert decode_metric(json.dumps(0.5)) == 0.5
    assert decode_metric("not json") == "not json"


def test_add_imported_results_stores_succeeded_imported_trials() -> None:
    store = MemoryStore("e1")
    store.create_experiment(ExperimentRecord(id="e1", name=None, config={}))
    trials = add_imported_results(store, [ResultRecord({"x": 1}, 0.5), ResultRecord({"x": 2}, {"default": 1.5})])
    stored = store.list_trials()
    assert [t.id for t in stored] == [t.id for t in trials]
    assert [(t.status, t.source, t.final, t.sequence) for t in stored] == [
        (TrialState.SUCCEEDED, TrialSource.IMPORTED, 0.5, 0), (TrialState.SUCCEEDED, TrialSource.IMPORTED, 1.5, 1)]
    assert stored[1].final_data == {"default": 1.5}


def test_public_names_are_pinned() -> None:
    import tunelab.compat
    import tunelab.experiment

    # isort-style order (constants, classes, functions), as ruff's RUF022 keeps it
    def key(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert tunelab.compat.__all__ == sorted(tunelab.compat.__all__, key=key)
    assert tunelab.experiment.__all__ == sorted(tunelab.experiment.__all__, key=key)
    assert {"trial_environment", "import_nni_experiment", "read_nni_experiment", "load_results"} <= set(
        tunelab.compat.__all__)
    for name in tunelab.compat.__all__ + tunelab.experiment.__all__:
        assert hasattr(tunelab.compat, name) or hasattr(tunelab.experiment, name)
