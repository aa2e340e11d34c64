"""A small JSON reader/writer for trial processes.

``import json`` costs a trial about 10 ms because it pulls in ``re`` (and ``re`` pulls in ``enum``); a
no-op trial spends only ~18 ms in the interpreter itself, so that would cost the dispatch benchmark a third.
This module handles the JSON that tunelab itself writes and reads in trials (parameters: objects, arrays,
strings, numbers, true/false/null, NaN/Infinity) on top of the C helpers of the standard ``_json`` module,
and falls back to ``json`` where ``_json`` does not exist.
"""

from __future__ import annotations

import math

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

try:
    from _json import encode_basestring_ascii as _quote
    from _json import scanstring as _scanstring
except ImportError:  # pragma: no cover - non-CPython interpreters
    _quote = None  # type: ignore[assignment]
    _scanstring = None  # type: ignore[assignment]

_WS = " \t\n\r"
_NUMBER_CHARS = frozenset("+-0123456789.eE")
_CONSTANTS: dict[str, Any] = {
    "true": True, "false": False, "null": None,
    "NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf,
}


def loads(text: str) -> Any:
    """Parse a JSON document (raises ``ValueError`` on malformed input)."""
    if _scanstring is None:  # pragma: no cover
        import json

        return json.loads(text)
    value, end = _parse(text, _skip(text, 0))
    if _skip(text, end) != len(text):
        raise ValueError(f"extra data at character {end}")
    return value


def dumps(value: Any) -> str:
    """Serialize plain data (dict, list, str, int, float, bool, None) to compact JSON; NaN allowed."""
    if _quote is None:  # pragma: no cover
        import json

        return json.dumps(value, separators=(",", ":"))
    parts: list[str] = []
    _emit(value, parts)
    return "".join(parts)


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def _parse(text: str, pos: int) -> tuple[Any, int]:
    if pos >= len(text):
        raise ValueError("unexpected end of JSON")
    char = text[pos]
    if char == '"':
        return _scanstring(text, pos + 1, True)
    if char == "{":
        return _parse_object(text, pos + 1)
    if char == "[":
        return _parse_array(text, pos + 1)
    for word, constant in _CONSTANTS.items():
        if text.startswith(word, pos):
            return constant, pos + len(word)
    end = pos
    while end < len(text) and text[end] in _NUMBER_CHARS:
        end += 1
    token = text[pos:end]
    if not token:
        raise ValueError(f"unexpected character {char!r} at {pos}")
    is_float = any(c in token for c in ".eE")
    return (float(token) if is_float else int(token)), end


def _parse_object(text: str, pos: int) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    pos = _skip(text, pos)
    if text.startswith("}", pos):
        return result, pos + 1
    while True:
        if not text.startswith('"', pos):
            raise ValueError(f"expected a key at {pos}")
        key, pos = _scanstring(text, pos + 1, True)
        pos = _skip(text, pos)
        if not text.startswith(":", pos):
            raise ValueError(f"expected ':' at {pos}")
        result[key], pos = _parse(text, _skip(text, pos + 1))
        pos = _skip(text, pos)
        if text.startswith("}", pos):
            return result, pos + 1
        if not text.startswith(",", pos):
            raise ValueError(f"expected ',' or '}}' at {pos}")
        pos = _skip(text, pos + 1)


def _parse_array(text: str, pos: int) -> tuple[list[Any], int]:
    result: list[Any] = []
    pos = _skip(text, pos)
    if text.startswith("]", pos):
        return result, pos + 1
    while True:
        item, pos = _parse(text, pos)
        result.append(item)
        pos = _skip(text, pos)
        if text.startswith("]", pos):
            return result, pos + 1
        if not text.startswith(",", pos):
            raise ValueError(f"expected ',' or ']' at {pos}")
        pos = _skip(text, pos + 1)


def _emit(value: Any, parts: list[str]) -> None:
    if isinstance(value, str):
        parts.append(_quote(value))
    elif value is None or isinstance(value, bool):
        parts.append("null" if value is None else ("true" if value else "false"))
    elif isinstance(value, int):
        parts.append(int.__repr__(value))
    elif isinstance(value, float):
        parts.append(_float(value))
    elif isinstance(value, dict):
        parts.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                parts.append(",")
            parts.append(_quote(str(key)))
            parts.append(":")
            _emit(item, parts)
        parts.append("}")
    elif isinstance(value, (list, tuple)):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _emit(item, parts)
        parts.append("]")
    else:
        raise TypeError(f"cannot serialize {type(value).__name__} to JSON")


def _float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if value in (math.inf, -math.inf):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)
