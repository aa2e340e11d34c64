"""Issue 10, item 16: names holding dots are filtered through backquotes, and NUL bytes are refused, the
same way in the SQL store and the Python evaluator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tunelab.base import InvalidInputError
from tunelab.storage import (
    ExperimentRecord,
    ExperimentStore,
    MemoryStore,
    SqliteStore,
    TrialQuery,
    parse_filter,
)
from tunelab.trial import Trial, TrialState

PARAMS = [
    {"a.b": 1, "a": {"b": 5}, "x y": 3, "final": 7},
    {"a.b": 2, "a": {"b": 1}, "x y": 1, "final": 0},
    {"a.b": 3, "model": {"a.b": 9}},
]


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ExperimentStore]:
    s: ExperimentStore = SqliteStore(tmp_path / "tunelab.db", "e1") if request.param == "sqlite" else MemoryStore("e1")
    s.create_experiment(ExperimentRecord(id="e1", name=None, config={}))
    for i, params in enumerate(PARAMS):
        s.insert_trial(Trial(id=f"t{i}", sequence=i, parameters=params, status=TrialState.SUCCEEDED))
    try:
        yield s
    finally:
        s.close()


def _ids(store: ExperimentStore, text: str, **options: object) -> list[str]:
    return [t.id for t in store.query_trials(parse_filter(text, **options)).trials]  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "expected"), [
    ("`a.b`=1", ["t0"]),  # the flat name "a.b", not the path a -> b
    ("`a.b`>=2", ["t1", "t2"]),
    ("a.b=1", ["t1"]),  # unquoted: still the nested path
    ("`x y`>2", ["t0"]),
    ("`final`=7", ["t0"]),  # a backquoted name is a parameter even when it names a column
    ("model.`a.b`=9", ["t2"]),
    ("params.`a.b`=2", ["t1"]),
])
def test_backquoted_names(store: ExperimentStore, text: str, expected: list[str]) -> None:
    assert _ids(store, text) == expected


def test_sort_by_backquoted_name(store: ExperimentStore) -> None:
    assert _ids(store, "", sort="params.`a.b`", descending=True) == ["t2", "t1", "t0"]


@pytest.mark.parametrize("text", ["a\x00=1", "x\x00", "`a\x00`=1", "a='\x00'", "status:\x00FAILED"])
def test_nul_in_filter_is_refused(text: str) -> None:
    with pytest.raises(InvalidInputError, match="control character"):
        parse_filter(text)


@pytest.mark.parametrize("sort", ["params.a\x00", "metric.\x00", "\x00"])
def test_nul_in_sort_is_refused(sort: str) -> None:
    with pytest.raises(InvalidInputError, match="control character"):
        TrialQuery(sort=sort)


def test_unclosed_backquote_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="backquote at position 0 is not closed"):
        parse_filter("`a.b=1")
