"""Evaluating a :class:`TrialQuery` in Python (the memory store), with the rules of ``_query``.

The SQL compiler (``_query_sql``) must give the same answers; the contract suite checks both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from tunelab.base import encode_float
from tunelab.storage._codec import dump_json
from tunelab.storage._query import (
    METRIC_PREFIX,
    PARAM_PREFIX,
    Condition,
    Op,
    TrialPage,
    TrialQuery,
    key_path,
    kind_of,
)
from tunelab.trial import Trial

_MISSING: Any = object()
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
NUMBER_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only, as SQLite's ``lower()`` does."""
    return text.translate(_ASCII_LOWER)


def run_query(trials: Iterable[Trial], query: TrialQuery) -> TrialPage:
    matching = [t for t in trials if matches(t, query)]
    ordered = sort_trials(matching, query.sort, descending=query.descending)
    end = None if query.limit is None else query.offset + query.limit
    return TrialPage(trials=ordered[query.offset : end], total=len(matching))


# -- filtering -------------------------------------------------------------------------------------------
def matches(trial: Trial, query: TrialQuery) -> bool:
    if query.statuses and trial.status not in query.statuses:
        return False
    if not all(_check(c, _json_at(trial.parameters, c.path)) for c in query.parameters):
        return False
    if not all(_check(c, _column(trial, c.key)) for c in query.fields):
        return False
    if not all(_check(c, _json_at(trial.final_data, c.path)) for c in query.metrics):
        return False
    return all(_text_matches(trial, term) for term in query.text)


def _json_value(value: Any) -> Any:
    # Inside JSON the databases hold non-finite floats as marker strings (see _codec): compare the same.
    if isinstance(value, float) and not math.isfinite(value):
        return encode_float(value)
    return _MISSING if value is None else value


def _json_at(data: Any, path: Sequence[str]) -> Any:
    for part in path:
        if not isinstance(data, Mapping) or part not in data:
            return _MISSING
        data = data[part]
    return _json_value(data)


def _column(trial: Trial, key: str) -> Any:
    value = trial.duration if key == "duration" else getattr(trial, key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _MISSING  # REAL columns hold NaN as NULL
    return value


def _check(condition: Condition, value: Any) -> bool:
    if condition.op is Op.NE:
        return not _equals(value, condition.value)
    if condition.op is Op.IN:
        return any(_equals(value, v) for v in condition.values())
    if value is _MISSING or kind_of(value) != kind_of(condition.value) or isinstance(value, (dict, list)):
        return False
    if condition.op is Op.EQ:
        return bool(value == condition.value)
    if condition.op is Op.BETWEEN:
        return bool(condition.value <= value <= condition.upper)
    return _ORDERING[condition.op](value, condition.value)


_ORDERING: dict[Op, Callable[[Any, Any], bool]] = {
    Op.LT: lambda a, b: a < b,
    Op.LE: lambda a, b: a <= b,
    Op.GT: lambda a, b: a > b,
    Op.GE: lambda a, b: a >= b,
}


def _equals(value: Any, wanted: Any) -> bool:
    if value is _MISSING or isinstance(value, (dict, list)) or kind_of(value) != kind_of(wanted):
        return False
    return bool(value == wanted)


def _text_matches(trial: Trial, term: str) -> bool:
    needle = ascii_lower(term)
    note = trial.extra.get("note") if trial.extra else None
    haystacks = (trial.id, trial.status.value, trial.message, note if isinstance(note, str) else "")
    if any(needle in ascii_lower(h) for h in haystacks):
        return True
    leaves = list(_leaves(trial.parameters))
    if any(isinstance(v, str) and needle in ascii_lower(v) for v in leaves):
        return True
    if NUMBER_RE.fullmatch(term):
        number = float(term)
        return trial.sequence == number or any(kind_of(v) == "number" and v == number for v in leaves)
    return False


def _leaves(data: Any) -> Iterable[Any]:
    if isinstance(data, Mapping):
        for value in data.values():
            yield from _leaves(value)
    elif isinstance(data, list):
        for value in data:
            yield from _leaves(value)
    elif data is not None:
        yield _json_value(data)


# -- sorting ---------------------------------------------------------------------------------------------
def sort_trials(trials: Sequence[Trial], sort: str, *, descending: bool) -> list[Trial]:
    """Missing values last in either direction; ties by ascending sequence (stable sorts keep it)."""
    key = _sort_key(sort)
    by_sequence = sorted(trials, key=lambda t: t.sequence)
    present = [(key(t), t) for t in by_sequence]
    missing = [t for k, t in present if k is None]
    ordered = sorted(((k, t) for k, t in present if k is not None), key=lambda kt: kt[0], reverse=descending)
    return [t for _, t in ordered] + missing


def _sort_key(sort: str) -> Callable[[Trial], Any]:
    if sort.startswith(PARAM_PREFIX):
        path = key_path(sort[len(PARAM_PREFIX) :])
        return lambda t: _json_sort_key(_json_at(t.parameters, path))
    if sort.startswith(METRIC_PREFIX):
        path = key_path(sort[len(METRIC_PREFIX) :])
        return lambda t: _json_sort_key(_json_at(t.final_data, path))
    if sort == "status":
        return lambda t: t.status.value
    if sort == "id":
        return lambda t: t.id
    return lambda t: None if (v := _column(t, sort)) is _MISSING else v


def _json_sort_key(value: Any) -> tuple[int, Any] | None:
    """Numbers, then strings, then booleans, then lists and objects by their JSON text."""
    if value is _MISSING:
        return None
    if isinstance(value, (dict, list)):
        return (3, dump_json(value))
    kind = kind_of(value)
    if kind == "bool":
        return (2, int(value))
    if kind == "number":
        return (0, value)
    return (1, value)
