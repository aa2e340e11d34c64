"""The filter grammar of the trial table (web UI search box, ``tunelab trial ls --filter``).

``parse_filter("lr>0.01 status:FAILED optimizer=sgd text")`` gives a :class:`TrialQuery`. Tokens are
separated by spaces (spaces around an operator are allowed: ``lr > 0.01``); all tokens must hold:

=============================  ===============================================================
``status:FAILED,RUNNING``      status is one of these (``=``/``==`` too; ``!=`` excludes); several
                               status tokens add alternatives; names are NNI's, any case
``lr>0.01`` ``lr<=1e-3``       parameter comparison (``>``, ``>=``, ``<``, ``<=``, ``=``/``==``/``:``,
                               ``!=``); nested choices by dotted key: ``model._name=cnn``
``lr=0.001..0.01``             inclusive range
``optimizer=sgd,adam``         one of these values (``!=a,b``: none of them)
``final>0.9`` ``duration<60``  built-in columns: sequence, final, duration, created_at, started_at,
                               ended_at, intermediate_count, latest_intermediate, attempt
``metric.loss<0.2``            a key of dict final results
``params.final>1``             a parameter whose name clashes with a built-in column
```a.b`=1`` ```x y`>2``        a name in backquotes is one literal parameter name (dots, spaces,
                               operators and built-in names included): ``model.`a.b`=1``
``word`` ``"two words"``       free text: id, status, message, note or a parameter value contains it
=============================  ===============================================================

Values are numbers when they look like numbers, ``true``/``false`` are booleans, anything else (or
anything quoted: ``name='1'``) is a string. Errors raise :class:`InvalidInputError` naming the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tunelab.base import InvalidInputError, did_you_mean
from tunelab.storage._query import (
    METRIC_PREFIX,
    NUMERIC_FIELDS,
    PARAM_PREFIX,
    Condition,
    Op,
    Scalar,
    TrialQuery,
    check_field,
    check_no_control,
)
from tunelab.storage._query_py import NUMBER_RE
from tunelab.trial import TrialState

_OPERATORS = (">=", "<=", "!=", "==", "=", ">", "<", ":")
_EQUALS = ("=", "==", ":")
_ORDERING = {">": Op.GT, ">=": Op.GE, "<": Op.LT, "<=": Op.LE}
_STOP = set("\"'<>=:")
_STATE_NAMES = [s.value for s in TrialState]


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    is_operator: bool = False
    quoted: bool = False


def parse_filter(text: str, **options: Any) -> TrialQuery:
    """Parse the filter grammar above into a :class:`TrialQuery`.

    ``options`` are the other ``TrialQuery`` fields (``sort``, ``descending``, ``offset``, ``limit``).
    Raises :class:`InvalidInputError` naming the offending token and the fix.
    """
    parsed = _Parsed()
    check_no_control(text, "filter")
    tokens = _lex(text)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.is_operator:
            raise InvalidInputError(
                f"filter token {token.text!r}: operator without a name before it; write e.g. lr{token.text}0.1"
            )
        follows = tokens[i + 1] if i + 1 < len(tokens) else None
        if follows is None or not follows.is_operator:
            parsed.text.append(token.text)
            i += 1
            continue
        value = tokens[i + 2] if i + 2 < len(tokens) else None
        shown = f"{token.text}{follows.text}{'' if value is None else value.text}"
        if token.quoted:
            raise InvalidInputError(f"filter token {shown!r}: names are not quoted; quote values only")
        if value is None or value.is_operator:
            raise InvalidInputError(f"filter token {shown!r}: missing value after {follows.text!r}")
        try:
            parsed.add(token.text, follows.text, value)
        except InvalidInputError as exc:
            raise InvalidInputError(f"filter token {shown!r}: {exc.message}") from None
        i += 3
    return TrialQuery(
        statuses=parsed.statuses(),
        parameters=tuple(parsed.parameters),
        fields=tuple(parsed.fields),
        metrics=tuple(parsed.metrics),
        text=tuple(parsed.text),
        **options,
    )


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "\"'":
            end = text.find(char, i + 1)
            if end < 0:
                raise InvalidInputError(
                    f"filter {text!r}: quote {char} at position {i} is not closed; close it or remove it"
                )
            tokens.append(_Token(text[i + 1 : end], quoted=True))
            i = end + 1
        elif operator := next((op for op in _OPERATORS if text.startswith(op, i)), None):
            tokens.append(_Token(operator, is_operator=True))
            i += len(operator)
        else:
            end = i
            while (
                end < n
                and not text[end].isspace()
                and text[end] not in _STOP
                and not text.startswith("!=", end)
            ):
                if text[end] == "`":  # a backquoted name may hold dots, spaces and operators
                    close = text.find("`", end + 1)
                    if close < 0:
                        raise InvalidInputError(
                            f"filter {text!r}: backquote at position {end} is not closed; close it or remove it"
                        )
                    end = close
                end += 1
            tokens.append(_Token(text[i:end]))
            i = end
    return tokens


class _Parsed:
    def __init__(self) -> None:
        self.included: set[TrialState] = set()
        self.excluded: set[TrialState] = set()
        self.parameters: list[Condition] = []
        self.fields: list[Condition] = []
        self.metrics: list[Condition] = []
        self.text: list[str] = []

    def statuses(self) -> tuple[TrialState, ...]:
        if not self.included and not self.excluded:
            return ()
        chosen = (self.included or set(TrialState)) - self.excluded
        if not chosen:
            raise InvalidInputError("filter: the status tokens exclude every status; remove one of them")
        return tuple(s for s in TrialState if s in chosen)

    def add(self, key: str, operator: str, value: _Token) -> None:
        if key.lower() == "status":
            self._add_status(operator, value)
            return
        target, name = self.parameters, key
        if key.startswith("`"):
            pass  # a backquoted name is always a parameter: `final`>1, `a.b`=1
        elif key in NUMERIC_FIELDS:
            target = self.fields
        elif key.startswith(PARAM_PREFIX):
            name = key[len(PARAM_PREFIX) :]
        elif key.startswith((METRIC_PREFIX, "metrics.")):
            target, name = self.metrics, key.split(".", 1)[1]
        conditions = _conditions(name, operator, value)
        if target is self.fields:
            for condition in conditions:
                check_field(condition)
        target.extend(conditions)

    def _add_status(self, operator: str, value: _Token) -> None:
        if operator not in (*_EQUALS, "!="):
            raise InvalidInputError(f"status takes = or != (e.g. status:FAILED), not {operator!r}")
        states = set()
        for name in value.text.split(","):
            upper = name.strip().upper()
            if upper not in _STATE_NAMES:
                raise InvalidInputError(
                    f"unknown status {name!r}{did_you_mean(upper, _STATE_NAMES)}; statuses: {', '.join(_STATE_NAMES)}"
                )
            states.add(TrialState(upper))
        (self.excluded if operator == "!=" else self.included).update(states)


def _conditions(key: str, operator: str, token: _Token) -> list[Condition]:
    text = token.text
    if operator in _ORDERING:
        return [Condition(key, _ORDERING[operator], _value(text, token.quoted))]
    if not token.quoted and ".." in text:
        if operator == "!=":
            raise InvalidInputError("a range takes =, e.g. lr=0.001..0.01")
        low, _, high = text.partition("..")
        return [Condition(key, Op.BETWEEN, _value(low, False), _value(high, False))]
    values = [text] if token.quoted else text.split(",")
    parsed = tuple(_value(v, token.quoted) for v in values)
    if operator == "!=":
        return [Condition(key, Op.NE, v) for v in parsed]
    if len(parsed) > 1:
        return [Condition(key, Op.IN, parsed)]
    return [Condition(key, Op.EQ, parsed[0])]


def _value(text: str, quoted: bool) -> Scalar:
    if quoted:
        return text
    if not text:
        raise InvalidInputError("empty value; quote an empty string as ''")
    if NUMBER_RE.fullmatch(text):
        number = float(text)
        return int(text) if text.lstrip("+-").isdigit() else number
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text
