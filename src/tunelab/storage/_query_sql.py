"""Compiling a :class:`TrialQuery` to SQL, per dialect, with the rules documented in ``_query``.

Keys and values always travel as bound parameters (JSON paths included), never inside the SQL text.
Each builder returns ``(sql, params)`` with ``?`` placeholders in the order of ``params``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from tunelab.storage._query import (
    METRIC_PREFIX,
    PARAM_PREFIX,
    Condition,
    Op,
    TrialQuery,
    key_path,
    kind_of,
)
from tunelab.storage._query_py import NUMBER_RE, ascii_lower

Sql = tuple[str, list[Any]]

_COMPARE = {Op.EQ: "=", Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">="}
_DURATION = (
    "(CASE WHEN ended_at >= started_at THEN ended_at - started_at WHEN ended_at < started_at THEN 0 END)"
)


class Dialect(Protocol):
    """JSON access and text matching in one SQL dialect. ``column`` is a trusted column name."""

    def number(self, column: str, path: tuple[str, ...]) -> Sql:
        """The value at ``path`` if it is a JSON number, else NULL."""
        ...

    def string(self, column: str, path: tuple[str, ...]) -> Sql:
        """The value at ``path`` if it is a JSON string (comparable by code point), else NULL."""
        ...

    def boolean_is(self, column: str, path: tuple[str, ...], value: bool) -> Sql:
        """True when the value at ``path`` is the JSON boolean ``value``."""
        ...

    def sort_keys(self, column: str, path: tuple[str, ...]) -> list[Sql]:
        """ORDER BY expressions: numbers, strings, booleans, then lists/objects; NULL when missing."""
        ...

    def contains(self, expression: str, needle: str) -> Sql:
        """``expression`` contains ``needle``, ignoring ASCII case."""
        ...

    def parameter_text(self, needle: str, number: float | None) -> Sql:
        """A string leaf of ``parameters`` contains ``needle`` (ignoring case), or a number leaf equals
        ``number``."""
        ...

    def collate(self, expression: str) -> str:
        """``expression`` ordered by code point."""
        ...


class SqliteDialect:
    @staticmethod
    def _path(path: tuple[str, ...]) -> str:
        return "$" + "".join(f'."{part}"' for part in path)

    def number(self, column: str, path: tuple[str, ...]) -> Sql:
        p = self._path(path)
        return (
            f"(CASE WHEN json_type({column}, ?) IN ('integer', 'real') THEN json_extract({column}, ?) END)",
            [p, p],
        )

    def string(self, column: str, path: tuple[str, ...]) -> Sql:
        p = self._path(path)
        return f"(CASE WHEN json_type({column}, ?) = 'text' THEN json_extract({column}, ?) END)", [p, p]

    def boolean_is(self, column: str, path: tuple[str, ...], value: bool) -> Sql:
        return f"(json_type({column}, ?) = '{'true' if value else 'false'}')", [self._path(path)]

    def sort_keys(self, column: str, path: tuple[str, ...]) -> list[Sql]:
        # json_extract gives a number, a string, 0/1 for booleans or JSON text for containers: ordering
        # it inside each type rank matches the documented order with one JSON lookup.
        p = self._path(path)
        rank = (
            f"(CASE json_type({column}, ?) WHEN 'integer' THEN 0 WHEN 'real' THEN 0 WHEN 'text' THEN 1 "
            "WHEN 'true' THEN 2 WHEN 'false' THEN 2 WHEN 'array' THEN 3 WHEN 'object' THEN 3 END)"
        )
        return [(rank, [p]), (f"json_extract({column}, ?)", [p])]

    def contains(self, expression: str, needle: str) -> Sql:
        return f"(instr(lower({expression}), ?) > 0)", [ascii_lower(needle)]

    def parameter_text(self, needle: str, number: float | None) -> Sql:
        return _parameter_text(needle, number, "instr(trials.search_text, ?) > 0", _SQLITE_LEAVES)

    def collate(self, expression: str) -> str:
        return expression  # SQLite's default BINARY collation orders UTF-8 by code point


class PostgresDialect:
    """``jsonb`` columns; paths are bound as ``text[]``; strings compare in the "C" collation."""

    def number(self, column: str, path: tuple[str, ...]) -> Sql:
        p = list(path)
        return (
            f"(CASE WHEN jsonb_typeof({column} #> ?) = 'number' THEN ({column} #>> ?)::double precision END)",
            [p, p],
        )

    def string(self, column: str, path: tuple[str, ...]) -> Sql:
        p = list(path)
        return f"(CASE WHEN jsonb_typeof({column} #> ?) = 'string' THEN {column} #>> ? END)", [p, p]

    def boolean_is(self, column: str, path: tuple[str, ...], value: bool) -> Sql:
        return f"(({column} #> ?) = '{'true' if value else 'false'}'::jsonb)", [list(path)]

    def sort_keys(self, column: str, path: tuple[str, ...]) -> list[Sql]:
        p = list(path)
        rank = (
            f"(CASE jsonb_typeof({column} #> ?) WHEN 'number' THEN 0 WHEN 'string' THEN 1 WHEN 'boolean' THEN 2 "
            "WHEN 'array' THEN 3 WHEN 'object' THEN 3 END)"
        )
        scalar_text = (
            f"(CASE WHEN jsonb_typeof({column} #> ?) IN ('string', 'boolean') THEN {column} #>> ? END) "
            'COLLATE "C"'
        )
        container_text = (
            f"(CASE WHEN jsonb_typeof({column} #> ?) IN ('array', 'object') THEN ({column} #> ?)::text END) "
            'COLLATE "C"'
        )
        return [(rank, [p]), self.number(column, path), (scalar_text, [p, p]), (container_text, [p, p])]

    def contains(self, expression: str, needle: str) -> Sql:
        # lower() on both sides: a database with a non-C locale lowers non-ASCII letters too
        return f"(strpos(lower({expression}), lower(?)) > 0)", [needle]

    def parameter_text(self, needle: str, number: float | None) -> Sql:
        return _parameter_text(needle, number, "strpos(trials.search_text, ?) > 0", _POSTGRES_LEAVES)

    def collate(self, expression: str) -> str:
        return f'({expression}) COLLATE "C"'


_SQLITE_LEAVES = (
    "EXISTS (SELECT 1 FROM json_tree(trials.parameters) j WHERE {})",
    "j.type = 'text' AND instr(lower(j.atom), ?) > 0",
    "j.type IN ('integer', 'real') AND j.atom = ?",
)
_POSTGRES_LEAVES = (
    "EXISTS (SELECT 1 FROM jsonb_path_query(trials.parameters, 'strict $.**') AS leaves(v) WHERE {})",
    "jsonb_typeof(v) = 'string' AND strpos(lower(v #>> '{}'), ?) > 0",
    "jsonb_typeof(v) = 'number' AND (v #>> '{}')::double precision = ?",
)


def _parameter_text(
    needle: str, number: float | None, in_search_text: str, leaves: tuple[str, str, str]
) -> Sql:
    """String leaves containing ``needle``: through ``trials.search_text`` (no JSON walk) unless the
    needle holds a newline (the leaf separator there); number leaves equal to ``number``."""
    walk, string_leaf, number_leaf = leaves
    lowered = ascii_lower(needle)
    sql = in_search_text if "\n" not in needle else walk.format(string_leaf)
    params: list[Any] = [lowered]
    if number is not None:
        sql += " OR " + walk.format(number_leaf)
        params.append(number)
    return f"({sql})", params


@dataclass(frozen=True)
class CompiledQuery:
    where: str
    where_params: list[Any]
    order_by: str
    order_params: list[Any]


def compile_query(dialect: Dialect, experiment_id: str, query: TrialQuery) -> CompiledQuery:
    clauses: list[str] = ["trials.experiment_id = ?"]
    params: list[Any] = [experiment_id]

    def add(sql: Sql) -> None:
        clauses.append(sql[0])
        params.extend(sql[1])

    if query.statuses:
        add((f"trials.status IN ({', '.join('?' * len(query.statuses))})", [s.value for s in query.statuses]))
    for condition in query.parameters:
        add(_json_condition(dialect, "trials.parameters", condition))
    for condition in query.metrics:
        add(_json_condition(dialect, "trials.final_data", condition))
    for condition in query.fields:
        add(_column_condition(condition))
    for term in query.text:
        add(_text_condition(dialect, term))
    order, order_params = _order_by(dialect, query)
    return CompiledQuery(" AND ".join(clauses), params, order, order_params)


def _negate_or_any(condition: Condition, equals: list[Sql]) -> Sql:
    """``!=`` is NOT(==) with missing counted as not equal; ``IN`` is any ``==``."""
    sql = " OR ".join(s for s, _ in equals)
    params = [p for _, ps in equals for p in ps]
    if condition.op is Op.NE:
        return f"NOT COALESCE(({sql}), FALSE)", params
    return f"({sql})", params


def _json_condition(dialect: Dialect, column: str, condition: Condition) -> Sql:
    path = condition.path
    if condition.op in (Op.NE, Op.IN):
        return _negate_or_any(
            condition, [_json_compare(dialect, column, path, Op.EQ, v) for v in condition.values()]
        )
    if condition.op is Op.BETWEEN:
        low, low_params = _json_compare(dialect, column, path, Op.GE, condition.value)
        high, high_params = _json_compare(dialect, column, path, Op.LE, condition.upper)
        return f"({low} AND {high})", low_params + high_params
    return _json_compare(dialect, column, path, condition.op, condition.value)


def _json_compare(dialect: Dialect, column: str, path: tuple[str, ...], op: Op, value: Any) -> Sql:
    kind = kind_of(value)
    if kind == "bool":
        return dialect.boolean_is(column, path, bool(value))
    if kind == "number":
        sql, params = dialect.number(column, path)
        return f"({sql} {_COMPARE[op]} ?)", [*params, value]
    sql, params = dialect.string(column, path)
    return f"({dialect.collate(sql)} {_COMPARE[op]} ?)", [*params, value]


def _field_expression(key: str) -> str:
    return _DURATION if key == "duration" else f"trials.{key}"  # key is one of NUMERIC_FIELDS


def _column_condition(condition: Condition) -> Sql:
    expression = _field_expression(condition.key)
    if condition.op in (Op.NE, Op.IN):
        return _negate_or_any(condition, [(f"({expression} = ?)", [v]) for v in condition.values()])
    if condition.op is Op.BETWEEN:
        return f"({expression} BETWEEN ? AND ?)", [condition.value, condition.upper]
    return f"({expression} {_COMPARE[condition.op]} ?)", [condition.value]


def _text_condition(dialect: Dialect, term: str) -> Sql:
    number = float(term) if NUMBER_RE.fullmatch(term) else None
    parts = [dialect.contains(column, term) for column in ("trials.id", "trials.status", "trials.message")]
    note, note_params = dialect.string("trials.extra", ("note",))  # the user's note on the trial
    contains_note, needle = dialect.contains(note, term)
    parts.append((contains_note, note_params + needle))
    if number is not None:
        parts.append(("(trials.sequence = ?)", [number]))
    parts.append(dialect.parameter_text(term, number))
    return "(" + " OR ".join(s for s, _ in parts) + ")", [p for _, ps in parts for p in ps]


def _order_by(dialect: Dialect, query: TrialQuery) -> Sql:
    direction = "DESC" if query.descending else "ASC"
    sort = query.sort
    keys: list[Sql]
    if sort.startswith(PARAM_PREFIX):
        keys = dialect.sort_keys("trials.parameters", key_path(sort[len(PARAM_PREFIX) :]))
    elif sort.startswith(METRIC_PREFIX):
        keys = dialect.sort_keys("trials.final_data", key_path(sort[len(METRIC_PREFIX) :]))
    elif sort in ("id", "status"):
        keys = [(dialect.collate(f"trials.{sort}"), [])]
    else:
        keys = [(_field_expression(sort), [])]
    order = ", ".join(f"{sql} {direction} NULLS LAST" for sql, _ in keys)
    return f"{order}, trials.sequence ASC", [p for _, ps in keys for p in ps]
