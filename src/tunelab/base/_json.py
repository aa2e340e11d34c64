"""The one JSON encoding of tunelab: strict JSON, with NaN and the infinities as marker strings.

JSON has no NaN or infinity; Python's ``json`` writes bare ``NaN``/``Infinity`` (which ``JSON.parse``,
SQLite's JSON functions and PostgreSQL's ``jsonb`` all reject) and Starlette refuses them. So every JSON
tunelab writes — the live feed, the REST API, ``--json`` CLI output, exports, JSON columns of the store and
the lines a trial sends to the manager — goes through this module, which writes:

* NaN as the string ``"NaN"``, +inf as ``"Infinity"``, -inf as ``"-Infinity"`` (the spelling of
  JavaScript's ``String(x)``, so a browser decodes them with ``Number(x)``);
* numpy scalars and 0-d arrays as plain Python numbers, tuples as lists, mapping keys as strings.

Reading back (:func:`decode`, :func:`loads`) turns the three marker strings into floats again, wherever
they appear: a string value spelled exactly ``"NaN"``, ``"Infinity"`` or ``"-Infinity"`` is reserved.

This module is imported by trial processes, so it loads nothing but ``math`` at import time (``json`` is
imported on first use of :func:`dumps`/:func:`loads`; the trial side writes with its own light writer).
"""

from __future__ import annotations

import math

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs a trial ~10 ms
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

NAN = "NaN"
POS_INF = "Infinity"
NEG_INF = "-Infinity"
_MARKERS: dict[str, float] = {NAN: math.nan, POS_INF: math.inf, NEG_INF: -math.inf}


def encode_float(value: float) -> float | str:
    """``value`` itself when finite, else its marker string (``"NaN"``, ``"Infinity"``, ``"-Infinity"``)."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return NAN
    return POS_INF if value > 0 else NEG_INF


def encode_optional(value: float | None) -> float | str | None:
    """:func:`encode_float`, passing ``None`` through."""
    return None if value is None else encode_float(value)


def decode_float(value: Any) -> Any:
    """The float a marker string stands for; any other value unchanged."""
    if isinstance(value, str):
        return _MARKERS.get(value, value)
    return value


def is_marker(value: Any) -> bool:
    """True for the three strings that stand for non-finite floats."""
    return isinstance(value, str) and value in _MARKERS


def find_non_finite(value: Any) -> float | str | None:
    """The first NaN or infinity in ``value`` (nested lists and dicts), or a marker string standing for
    one; None when every number in it is finite."""
    if isinstance(value, float):
        return None if math.isfinite(value) else value
    if isinstance(value, str):
        return value if value in _MARKERS else None
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        for item in value:
            found = find_non_finite(item)
            if found is not None:
                return found
    return None


def encode(value: Any, *, default: Callable[[Any], Any] | None = None) -> Any:
    """``value`` as plain strict-JSON data: non-finite floats as markers, numpy scalars as numbers.

    An object of any other type becomes ``default(obj)`` (then encoded in turn); without ``default`` it
    raises ``TypeError`` naming the type.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else encode_float(value)
    if isinstance(value, (str, int)) or value is None:  # bool is an int
        return value
    if isinstance(value, dict) or _is_mapping(value):
        return {str(k): encode(v, default=default) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v, default=default) for v in value]
    item = getattr(value, "item", None)  # numpy scalars and 0-d arrays (and tensors) know their number
    if callable(item) and getattr(value, "ndim", 0) == 0:
        try:
            plain = item()
        except (TypeError, ValueError):
            plain = value
        if plain is not value and isinstance(plain, (int, float, bool, str)):
            return encode(plain)
    if default is not None:
        return encode(default(value))
    raise TypeError(f"cannot encode {type(value).__name__} {value!r:.80} as JSON")


def decode(value: Any) -> Any:
    """Inverse of :func:`encode` on its output: marker strings back to floats, everywhere in ``value``."""
    if isinstance(value, str):
        return _MARKERS.get(value, value)
    if isinstance(value, dict):
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def dumps(value: Any, *, indent: int | None = None, default: Callable[[Any], Any] | None = None,
          ascii_only: bool = False) -> str:
    """``value`` as strict JSON text (never bare ``NaN``); compact unless ``indent`` is given.
    ``ascii_only`` escapes non-ASCII characters (for terminals of any encoding)."""
    encoder = _encoder(indent, ascii_only)
    try:
        # Fast path (metric bursts): plain finite data needs no walk; NaN/inf raise ValueError,
        # numpy scalars and other objects TypeError.
        return encoder(value)
    except (ValueError, TypeError):
        return encoder(encode(value, default=default))


def loads(text: str | bytes) -> Any:
    """Parse JSON written by :func:`dumps` (markers become floats). Bare ``NaN``/``Infinity`` literals,
    written by older versions, are read too."""
    import json

    value = json.loads(text)
    marker_possible = ("NaN" in text or "Infinity" in text) if isinstance(text, str) else (
        b"NaN" in text or b"Infinity" in text)
    return decode(value) if marker_possible else value


_ENCODERS: dict[tuple[int | None, bool], Callable[[Any], str]] = {}


def _encoder(indent: int | None, ascii_only: bool) -> Callable[[Any], str]:
    encoder = _ENCODERS.get((indent, ascii_only))
    if encoder is None:
        import json

        separators = (",", ":") if indent is None else (",", ": ")
        encoder = json.JSONEncoder(separators=separators, indent=indent, ensure_ascii=ascii_only,
                                   allow_nan=False).encode
        _ENCODERS[(indent, ascii_only)] = encoder
    return encoder


def _is_mapping(value: Any) -> bool:
    # collections.abc costs a trial an import; anything with items() and keys() is treated as a mapping.
    return callable(getattr(value, "items", None)) and callable(getattr(value, "keys", None))
