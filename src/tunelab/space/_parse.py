"""Parse and validate NNI search spaces (dicts, JSON or YAML files) into :class:`SearchSpace`.

Validation happens once, here, from the table ``_ARITY``; every error names the path of the parameter
(``searchSpace.model[1].dropout``), the value received, the rule and the fix.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tunelab.base import SearchSpaceError, decode_text, did_you_mean, is_nonfinite_marker, yaml_load
from tunelab.space._params import Choice, Numeric, Parameter, RandInt
from tunelab.space._space import SearchSpace

#: _type -> number of values in _value (None: any non-empty list)
_ARITY: dict[str, int | None] = {
    "choice": None,
    "randint": 2,
    "uniform": 2,
    "quniform": 3,
    "loguniform": 2,
    "qloguniform": 3,
    "normal": 2,
    "qnormal": 3,
    "lognormal": 2,
    "qlognormal": 3,
}

#: Most steps a q-grid may have: beyond 2**53 consecutive grid indices are no longer distinct floats.
_MAX_GRID_STEPS = float(2**53)
#: Multiples of sigma a normal's samples are allowed to reach without overflowing (they reach ~8.3).
_NORMAL_REACH = 10.0

_EXAMPLES: dict[str, str] = {
    "choice": '["a", "b"]',
    "randint": "[0, 10]",
    "uniform": "[0.0, 1.0]",
    "quniform": "[0, 100, 10]",
    "loguniform": "[1e-5, 1e-1]",
    "qloguniform": "[16, 1024, 16]",
    "normal": "[0.0, 1.0]",
    "qnormal": "[0.0, 10.0, 1]",
    "lognormal": "[0.0, 1.0]",
    "qlognormal": "[0.0, 1.0, 1]",
}


#: Longest parameter name, and longest string a choice may offer: both are stored with every trial and shown
#: in every table, so a pasted document there would make every page and export of the experiment slow.
MAX_NAME_CHARS = 256
MAX_CHOICE_TEXT_CHARS = 10_000


def parse_search_space(obj: Any, *, where: str = "searchSpace") -> SearchSpace:
    """Validate an NNI search space given as a dict and return it as a :class:`SearchSpace`.

    ``where`` prefixes the paths in error messages (e.g. ``"searchSpace"`` or a file name). ``{}`` is a
    valid empty space. Raises :class:`~tunelab.base.SearchSpaceError` on any rule broken.
    """
    if isinstance(obj, SearchSpace):
        return obj
    if not isinstance(obj, Mapping):
        raise SearchSpaceError(
            f"{where}: must be a mapping of parameter names to "
            f'{{"_type": ..., "_value": [...]}}, got {type(obj).__name__} {obj!r:.80}; '
            'write e.g. {"lr": {"_type": "loguniform", "_value": [1e-5, 1e-1]}} (or {} for no parameters)'
        )
    return SearchSpace(obj, _parse_params(obj, where, nested=False))


def load_search_space(path: str | Path) -> SearchSpace:
    """Read a search space from a JSON file, falling back to YAML. Raises ``SearchSpaceError``."""
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError as exc:
        raise SearchSpaceError(
            f"searchSpaceFile: file not found: {str(file)!r}; check the path (relative paths are resolved "
            "against the config file's directory)"
        ) from exc
    except OSError as exc:
        raise SearchSpaceError(f"searchSpaceFile: cannot read {str(file)!r}: {exc.strerror or exc}") from exc
    text = decode_text(raw, f"searchSpaceFile {str(file)!r}", SearchSpaceError)
    return parse_search_space(_load_text(text, file), where=f"searchSpaceFile {file.name}")


def _load_text(text: str, file: Path) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as json_error:
        import yaml

        try:
            data = yaml_load(text, f"searchSpaceFile {str(file)!r}", SearchSpaceError)
        except yaml.YAMLError as exc:
            raise SearchSpaceError(
                f"searchSpaceFile {str(file)!r}: neither valid JSON ({json_error}) nor valid YAML "
                f"({str(exc).splitlines()[0]}); fix the syntax at the position shown"
            ) from exc
        if data is None:
            raise SearchSpaceError(
                f"searchSpaceFile {str(file)!r}: the file is empty; write {{}} for a space without parameters"
            ) from json_error
        return data


def _parse_params(obj: Mapping[Any, Any], where: str, *, nested: bool) -> list[Parameter]:
    params: list[Parameter] = []
    for name, spec in obj.items():
        if nested and name == "_name":
            continue
        path = f"{where}.{name}"
        if not isinstance(name, str) or not name:
            raise SearchSpaceError(f"{path}: parameter names must be non-empty strings, got {name!r}")
        if len(name) > MAX_NAME_CHARS:
            # Names head every table column, filter and export row: a name is a label, not a document.
            raise SearchSpaceError(f"{where}.{name[:40]}...: parameter names must be at most {MAX_NAME_CHARS} "
                                   f"characters (this one has {len(name):,}); use a short name")
        params.append(_parse_param(str(name), spec, path))
    return params


def _parse_param(name: str, spec: Any, path: str) -> Parameter:
    if not isinstance(spec, Mapping):
        raise SearchSpaceError(
            f'{path}: must be {{"_type": ..., "_value": [...]}}, got {type(spec).__name__} {spec!r:.80}; '
            'write e.g. {"_type": "choice", "_value": [1, 2, 3]}'
        )
    for field in ("_type", "_value"):
        if field not in spec:
            raise SearchSpaceError(
                f'{path}: missing "{field}" in {dict(spec)!r:.120}; every parameter needs "_type" and '
                f'"_value", e.g. {{"_type": "uniform", "_value": [0, 1]}}'
            )
    type_, value = spec["_type"], spec["_value"]
    if not isinstance(type_, str) or type_ not in _ARITY:
        hint = did_you_mean(str(type_), _ARITY) or f"; use one of {', '.join(_ARITY)}"
        raise SearchSpaceError(f"{path}: unknown _type {type_!r}{hint}")
    if not isinstance(value, (list, tuple)):
        raise SearchSpaceError(
            f"{path}: _value of {type_} must be a list, got {type(value).__name__} {value!r:.80}; "
            f"write e.g. {_EXAMPLES[type_]}"
        )
    if type_ == "choice":
        return _parse_choice(name, list(value), path)
    arity = _ARITY[type_]
    if len(value) != arity:
        shape = (
            "[low, high, q]" if arity == 3 else ("[lower, upper]" if type_ == "randint" else "[low, high]")
        )
        if "normal" in type_:
            shape = "[mu, sigma, q]" if arity == 3 else "[mu, sigma]"
        raise SearchSpaceError(
            f"{path}: {type_} needs {arity} values {shape}, got {len(value)}: {list(value)!r:.80}; "
            f"write e.g. {_EXAMPLES[type_]}"
        )
    numbers = [_number(v, path, type_, value) for v in value]
    if type_ == "randint":
        return _parse_randint(name, numbers, path, value)
    return _parse_numeric(name, type_, numbers, path, value)


def _number(v: Any, path: str, type_: str, value: Any) -> float:
    # YAML 1.1 reads `1e-5` as a string; NNI converts with float(), so accept numeric strings too.
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise SearchSpaceError(
            f"{path}: {type_} values must be numbers, got {v!r:.40} in {list(value)!r:.80}"
        )
    try:
        number = float(v)
    except ValueError as exc:
        raise SearchSpaceError(
            f"{path}: {type_} values must be numbers, got {v!r:.40} in {list(value)!r:.80}"
        ) from exc
    if not math.isfinite(number):
        raise SearchSpaceError(f"{path}: {type_} values must be finite, got {v!r} in {list(value)!r:.80}")
    return number


def _parse_choice(name: str, options: list[Any], path: str) -> Choice:
    if not options:
        raise SearchSpaceError(f'{path}: choice needs at least one option, got []; write e.g. ["a", "b"]')
    for i, option in enumerate(options):
        _check_finite(option, f"{path}[{i}]", option)
        _check_length(option, f"{path}[{i}]")
    # Nested when any option names itself with "_name"; plain dict options without any "_name" stay
    # plain values (BatchTuner spaces are a choice of whole parameter dicts).
    if not any(isinstance(o, Mapping) and "_name" in o for o in options):
        return Choice(name, tuple(options))
    for i, option in enumerate(options):
        if not isinstance(option, Mapping) or "_name" not in option:
            raise SearchSpaceError(
                f'{path}[{i}]: a nested choice needs every option to be a dict with "_name", got {option!r:.80}; '
                f'write e.g. {{"_name": "option{i}", ...sub-parameters}}'
            )
    names = [option["_name"] for option in options]
    for i, n in enumerate(names):
        if not isinstance(n, str) or n in names[:i]:
            raise SearchSpaceError(
                f"{path}[{i}]._name: nested choice names must be distinct strings, got {n!r} in {names!r:.80}"
            )
    subspaces = tuple(
        SearchSpace(
            {k: v for k, v in option.items() if k != "_name"},
            _parse_params(option, f"{path}[{i}]", nested=True),
        )
        for i, option in enumerate(options)
    )
    return Choice(name, tuple(options), names=tuple(names), subspaces=subspaces)


def _check_length(value: Any, path: str) -> None:
    if isinstance(value, str) and len(value) > MAX_CHOICE_TEXT_CHARS:
        raise SearchSpaceError(f"{path}: choice strings must be at most {MAX_CHOICE_TEXT_CHARS:,} characters "
                               f"(this one has {len(value):,}, starting {value[:40]!r}); keep long text in a file "
                               "and choose its name")


def _check_finite(value: Any, path: str, option: Any) -> None:
    """Refuse NaN and infinities in a choice value (they cannot be ranked, compared or written as JSON),
    and the three strings that stand for them in tunelab's JSON (docs/json.md)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise SearchSpaceError(
            f"{path}: choice values must be finite numbers, got {value!r} in {option!r:.80}; "
            "remove it or use a large finite number"
        )
    if is_nonfinite_marker(value):
        raise SearchSpaceError(
            f"{path}: the string {value!r} is reserved (tunelab's JSON writes non-finite numbers so); "
            f"use another spelling such as {value.lower()!r}"
        )
    if isinstance(value, Mapping):
        if "_name" in value and "_type" not in value:
            return  # a nested-choice option: its sub-parameters are parsed (and checked) on their own
        for item in value.values():
            _check_finite(item, path, option)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_finite(item, path, option)


def _parse_randint(name: str, numbers: list[float], path: str, value: Any) -> RandInt:
    for bound in numbers:
        if bound != math.floor(bound):
            raise SearchSpaceError(
                f"{path}: randint bounds must be integers, got {list(value)!r}; write e.g. "
                f"[{math.ceil(numbers[0])}, {math.ceil(numbers[1])}] (lower included, upper excluded)"
            )
    lower, upper = math.ceil(numbers[0]), math.ceil(numbers[1])
    if lower >= upper:
        raise SearchSpaceError(
            f"{path}: randint needs lower < upper (upper is excluded), got {list(value)!r}; "
            f"write e.g. [{lower}, {lower + 1}] for the single value {lower}"
        )
    return RandInt(name, lower, upper)


def _parse_numeric(name: str, type_: str, numbers: list[float], path: str, value: Any) -> Numeric:
    q = numbers[2] if len(numbers) == 3 else None
    if q is not None and q <= 0:
        raise SearchSpaceError(f"{path}: {type_} needs q > 0, got q={value[2]!r} in {list(value)!r}")
    log = "log" in type_
    if "normal" in type_:
        mu, sigma = numbers[0], numbers[1]
        if sigma <= 0:
            raise SearchSpaceError(
                f"{path}: {type_} needs sigma > 0, got sigma={value[1]!r} in {list(value)!r}; "
                f"write e.g. [{mu}, 1.0]"
            )
        # Samples reach about mu ± 8.3 sigma (the normal CDF of the largest u below 1).
        _check_extent(path, type_, value, abs(mu) + _NORMAL_REACH * sigma, q, "|mu| + 10 sigma")
        return Numeric(name, type_, mu=mu, sigma=sigma, q=q, log=log, normal=True)
    low, high = numbers[0], numbers[1]
    if log and low <= 0:
        raise SearchSpaceError(
            f"{path}: {type_} needs 0 < low < high, got {list(value)!r}; the log of {value[0]!r} is undefined, "
            f"use a small positive low such as 1e-8 (or uniform for ranges that include 0)"
        )
    if low >= high:
        raise SearchSpaceError(
            f"{path}: {type_} needs low < high, got {list(value)!r}; swap the bounds or use choice for a "
            "single value"
        )
    _check_extent(path, type_, value, high - low, q, "high - low")
    return Numeric(name, type_, low=low, high=high, q=q, log=log)


def _check_extent(path: str, type_: str, value: Any, extent: float, q: float | None, what: str) -> None:
    """Refuse ranges whose width overflows to infinity and q-grids too fine to count.

    ``[-1e308, 1e308]`` has an infinite width, so sampling gives inf/NaN; ``q = 5e-324`` makes the grid
    index ``(high - low) / q`` infinite, which overflowed in the tuners and left the experiment in ERROR.
    """
    if not math.isfinite(extent):
        raise SearchSpaceError(
            f"{path}: {type_} range is too wide, {what} overflows to infinity for {list(value)!r}; "
            "keep the values within about ±1e307"
        )
    if q is not None and not extent / q <= _MAX_GRID_STEPS:
        raise SearchSpaceError(
            f"{path}: {type_} q={value[2]!r} is too small for {list(value)!r}: the grid would have "
            f"{extent / q:.3g} steps ({what} divided by q), more than {_MAX_GRID_STEPS:.3g}; use a larger q "
            f"(or {type_.removeprefix('q')} without q for a continuous range)"
        )
