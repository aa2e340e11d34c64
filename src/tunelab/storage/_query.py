"""Trial queries for tables and the web UI: filters, sort and paging, evaluated by every store.

A :class:`TrialQuery` is plain data; SQL stores compile it to one statement (``_query_sql``), the memory
store evaluates it in Python (``_query_py``), and both follow the rules written here:

* ``statuses``: any of these (empty = all).
* ``parameters``: conditions on parameter values addressed by dotted keys (``lr``, ``model._name`` for
  nested choices). ``fields``: conditions on the built-in numeric columns (:data:`NUMERIC_FIELDS`, e.g.
  ``final``, ``duration``). ``metrics``: conditions on keys of dict final results (``final_data``).
* A comparison with a number matches numbers only (never strings or booleans); with a string, strings
  only (compared by code point); with a boolean, booleans only. ``!=`` is the negation of ``==`` and so
  also matches trials that lack the key. In the REAL columns (``final``, ``latest_intermediate``) NaN
  counts as missing; inside JSON (parameters, dict metrics) non-finite numbers are the strings ``"NaN"``,
  ``"Infinity"``, ``"-Infinity"`` (see ``_codec``) and compare as such.
* ``text``: each term must match (case-insensitive substring) the id, status, message or note, or a string
  parameter value (letters compared ASCII-case-insensitively); a term that is a number also matches the
  sequence number and equal numeric parameter values.
* Sort by :data:`SORT_FIELDS`, ``params.<key>`` or ``metric.<key>``; missing values last in either
  direction; ties broken by sequence (ascending). JSON values of mixed types sort numbers, then
  strings, then booleans (false first), then lists and objects (by their JSON text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from tunelab.base import InvalidInputError, did_you_mean
from tunelab.trial import Trial, TrialState

Scalar = bool | int | float | str


class Op(str, Enum):
    """Comparison operators of :class:`Condition`."""

    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    BETWEEN = "between"  # value <= x <= upper
    IN = "in"  # x equals one of value (a tuple)


#: Built-in trial columns that ``fields`` conditions and sorting accept (numbers, seconds for times).
NUMERIC_FIELDS = (
    "sequence",
    "final",
    "duration",
    "created_at",
    "started_at",
    "ended_at",
    "intermediate_count",
    "latest_intermediate",
    "attempt",
)
#: Plain sort keys; ``params.<key>`` and ``metric.<key>`` are accepted too.
SORT_FIELDS = ("id", "status", *NUMERIC_FIELDS)
PARAM_PREFIX = "params."
METRIC_PREFIX = "metric."
MAX_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Condition:
    """``<key> <op> <value>``; ``upper`` is the inclusive upper bound of ``BETWEEN``; ``IN`` takes a tuple."""

    key: str
    op: Op
    value: Scalar | tuple[Scalar, ...]
    upper: Scalar | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "op", Op(self.op))
        check_no_control(self.key, "filter key")
        for value in (*self.values(), self.upper):
            if isinstance(value, str):
                check_no_control(value, f"filter {self.key} value")
        if '"' in self.key or any(not part for part in key_path(self.key)):
            raise InvalidInputError(
                f"filter key {self.key!r}: use a name or a dotted path such as model.dropout, without double "
                "quotes; put a name holding dots in backquotes, e.g. `a.b`"
            )
        if self.op is Op.IN:
            if not isinstance(self.value, tuple) or not self.value:
                raise InvalidInputError(f"filter {self.key} in ...: give a non-empty tuple of values")
        elif isinstance(self.value, tuple):
            raise InvalidInputError(f"filter {self.key} {self.op.value}: takes one value, got {self.value!r}")
        if self.op not in (Op.EQ, Op.NE, Op.IN) and kind_of(self.value) == "bool":
            raise InvalidInputError(
                f"filter {self.key} {self.op.value}: booleans only compare with == and !="
            )
        if self.op is Op.BETWEEN and (self.upper is None or not _same_kind(self.value, self.upper)):
            raise InvalidInputError(
                f"filter {self.key} between: needs a lower and an upper bound of the same type, got "
                f"{self.value!r} and {self.upper!r}"
            )

    @property
    def path(self) -> tuple[str, ...]:
        return key_path(self.key)

    def values(self) -> tuple[Scalar, ...]:
        return self.value if isinstance(self.value, tuple) else (self.value,)


def key_path(key: str) -> tuple[str, ...]:
    """The parts of a dotted key; a part in backquotes is taken literally: ``model.`a.b``` is
    ``("model", "a.b")``. Raises InvalidInputError for an unclosed backquote."""
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(key):
        char = key[i]
        if char == "`":
            end = key.find("`", i + 1)
            if end < 0:
                raise InvalidInputError(f"filter key {key!r}: backquote at position {i} is not closed; close it")
            current.append(key[i + 1 : end])
            i = end + 1
        elif char == ".":
            parts.append("".join(current))
            current = []
            i += 1
        else:
            current.append(char)
            i += 1
    parts.append("".join(current))
    return tuple(parts)


def check_no_control(text: str, what: str) -> None:
    """Refuse NUL and other control characters (SQLite and JSON paths cannot hold them; the REST API
    answered 500 with the database path)."""
    bad = next((c for c in text if ord(c) < 0x20 or ord(c) == 0x7F), None)
    if bad is not None:
        raise InvalidInputError(
            f"{what} {text!r:.80}: holds the control character {bad!r}; remove it (filters and sort keys are "
            "plain text)"
        )


def _same_kind(a: object, b: object) -> bool:
    return kind_of(a) == kind_of(b)


def kind_of(value: object) -> str:
    """``'bool'``, ``'number'`` or ``'string'``: the JSON type a condition value matches."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "string"


@dataclass(frozen=True, slots=True)
class TrialQuery:
    """Which trials, in which order, which page. Validated on construction (raises InvalidInputError)."""

    statuses: tuple[TrialState, ...] = ()
    parameters: tuple[Condition, ...] = ()
    fields: tuple[Condition, ...] = ()
    metrics: tuple[Condition, ...] = ()
    text: tuple[str, ...] = ()
    sort: str = "sequence"
    descending: bool = False
    offset: int = 0
    limit: int | None = 100

    def __post_init__(self) -> None:
        object.__setattr__(self, "statuses", tuple(TrialState(s) for s in self.statuses))
        object.__setattr__(self, "text", tuple(t for t in self.text if t))
        for term in self.text:
            check_no_control(term, "filter text")
        for condition in self.fields:
            check_field(condition)
        check_sort_key(self.sort)
        if self.offset < 0:
            raise InvalidInputError(f"offset must be >= 0, got {self.offset}")
        if self.limit is not None and not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidInputError(
                f"limit must be between 1 and {MAX_LIMIT} (or None for all), got {self.limit}"
            )


def check_field(condition: Condition) -> None:
    if condition.key not in NUMERIC_FIELDS:
        raise InvalidInputError(
            f"filter field {condition.key!r} is not a trial column{did_you_mean(condition.key, NUMERIC_FIELDS)}; "
            f"columns: {', '.join(NUMERIC_FIELDS)} (parameters go in TrialQuery.parameters)"
        )
    if any(kind_of(v) != "number" for v in condition.values()):
        raise InvalidInputError(f"filter {condition.key}: compare with a number, got {condition.value!r}")


def check_sort_key(sort: str) -> None:
    check_no_control(sort, "sort key")
    if sort in SORT_FIELDS:
        return
    for prefix in (PARAM_PREFIX, METRIC_PREFIX):
        if sort.startswith(prefix):
            Condition(sort[len(prefix) :], Op.EQ, 0)  # validates the key
            return
    raise InvalidInputError(
        f"sort key {sort!r} is not known{did_you_mean(sort, SORT_FIELDS)}; use one of {', '.join(SORT_FIELDS)}, "
        f"{PARAM_PREFIX}<parameter> or {METRIC_PREFIX}<final metric key>"
    )


@dataclass(frozen=True, slots=True)
class TrialPage:
    """One page of a query: ``trials`` in order, and ``total`` matching trials over all pages."""

    trials: Sequence[Trial]
    total: int
