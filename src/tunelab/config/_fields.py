"""The declarative field table: every config key is a dataclass field carrying a :class:`Spec`.

A check is a function ``value -> normalized value`` that raises :class:`Invalid` with the rule that was
broken. The config classes turn ``Invalid`` into one message of the form
``<field>: <rule>, got <value>; <fix>``, so every error names the field, the value, the rule and the fix.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tunelab.config._duration import _seconds_or_none

Check = Callable[[Any], Any]


class Invalid(Exception):
    """Raised by a check: ``rule`` says what the value must be (e.g. ``"must be an integer > 0"``).

    ``value`` replaces the received value in the message when the normalized form is clearer (an absolute
    path instead of a relative one).
    """

    def __init__(self, rule: str, value: Any = None) -> None:
        super().__init__(rule)
        self.rule = rule
        self.value = value


@dataclasses.dataclass(frozen=True)
class Spec:
    """How one config key is checked, loaded and shown.

    ``check`` normalizes a value or raises :class:`Invalid`; ``fix`` tells the user what to write;
    ``path`` marks a filesystem path resolved against the config file's directory; ``nested`` is the
    loader for a sub-object (tuner, trainingService); ``dump`` False keeps a key out of ``to_dict``.
    """

    check: Check
    fix: str
    required: bool = False
    path: bool = False
    nested: Callable[..., Any] | None = None
    dump: bool = True


def spec(
    *,
    check: Check,
    fix: str,
    required: bool = False,
    path: bool = False,
    nested: Callable[..., Any] | None = None,
    dump: bool = True,
) -> dict[str, Spec]:
    """Field metadata that makes a dataclass field a row of the config key table."""
    return {"spec": Spec(check, fix, required, path, nested, dump)}


def spec_of(field: dataclasses.Field[Any]) -> Spec | None:
    found = field.metadata.get("spec")
    return found if isinstance(found, Spec) else None


def camel(snake: str) -> str:
    """``trial_gpu_number`` -> ``trialGpuNumber`` (the YAML spelling used in messages and ``to_dict``)."""
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def norm_key(key: str) -> str:
    """NNI's key matching: case- and underscore-insensitive (``_TRIAL_concurrency`` == ``trialConcurrency``)."""
    return key.replace("_", "").lower()


def show(value: Any) -> str:
    """A value as it appears in messages: its repr, shortened."""
    text = repr(value)
    if len(text) <= 80:
        return text
    # Keep the end: for paths it holds the file name, the part the user needs to see.
    return "..." + text[-120:] if isinstance(value, (str, os.PathLike)) else text[:77] + "..."


def resolve_path(value: Any, base_dir: Path | None) -> str:
    """Expand ``~`` and make ``value`` absolute against ``base_dir`` (the current directory when None)."""
    expanded = Path(os.path.expanduser(os.fspath(value)))
    if not expanded.is_absolute():
        expanded = (base_dir or Path.cwd()) / expanded
    return os.path.normpath(expanded)


# --- checks -------------------------------------------------------------------------------------------


def integer(minimum: int, maximum: int | None = None) -> Check:
    rule = f"must be an integer >= {minimum}" if minimum != 1 else "must be an integer > 0"

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise Invalid(rule)
        if maximum is not None and value > maximum:
            raise Invalid(f"must be at most {maximum}")
        return value

    return check


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("must be true or false")
    return value


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid("must be a string")
    return value


def bounded_text(limit: int) -> Check:
    """A string of at most ``limit`` characters: free text is stored, listed and shown on every page."""

    def check(value: Any) -> str:
        text(value)
        if len(value) > limit:
            raise Invalid(f"must be at most {limit:,} characters (this one has {len(value):,})", value[:40] + "...")
        return str(value)

    return check


def nonempty_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("must be a non-empty string")
    return value


def choice(*options: str) -> Check:
    rule = "must be one of " + ", ".join(options)

    def check(value: Any) -> str:
        if not isinstance(value, str) or value.lower() not in options:
            raise Invalid(rule)
        return value.lower()

    return check


def duration(value: Any) -> Any:
    """Keep the duration as written ("2h" reads better in the UI); only check that it parses and is
    positive (a zero limit would end every trial, or the experiment, at once: remove the key for none)."""
    seconds = _seconds_or_none(value)
    if seconds is None:
        raise Invalid("must be a duration: seconds, or a number with unit s, m, h or d")
    if seconds <= 0:
        raise Invalid("must be a duration greater than zero (remove the key for no limit)")
    return value


def path_like(value: Any) -> str:
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise Invalid("must be a path")
    return resolve_path(value, None)


def existing_dir(value: Any) -> str:
    resolved = path_like(value)
    if not os.path.isdir(resolved):
        raise Invalid("directory not found", resolved)
    return resolved


def existing_file(value: Any) -> str:
    resolved = path_like(value)
    if not os.path.isfile(resolved):
        raise Invalid("file not found", resolved)
    return resolved


def mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise Invalid("must be a mapping with string keys")
    return dict(value)


def anything(value: Any) -> Any:
    return value


def gpu_indices(value: Any) -> list[int]:
    """NNI accepts ``[0, 1]``, ``"0,1"`` and ``0``; the canonical form is a list of distinct ints >= 0."""
    rule = 'must be a list of GPU indices, a string like "0,1" or one index'
    if isinstance(value, bool):
        raise Invalid(rule)
    if isinstance(value, int):
        items: list[Any] = [value]
    elif isinstance(value, str):
        try:
            items = [int(part) for part in value.split(",") if part.strip()]
        except ValueError as exc:
            raise Invalid(rule) from exc
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise Invalid(rule)
    if not items or any(isinstance(i, bool) or not isinstance(i, int) or i < 0 for i in items):
        raise Invalid(rule)
    if len(set(items)) != len(items):
        raise Invalid("must not repeat a GPU index")
    return items
