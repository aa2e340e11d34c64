"""The one exception root of tunelab and the table that maps its codes to HTTP statuses and exit codes.

Every error a user can cause derives from :class:`TunelabError`. The CLI prints ``str(error)`` and exits
with ``error.exit_code``; the server answers ``error.http_status`` with the one JSON error body. Neither
shows a traceback for these errors: a traceback is reserved for bugs in tunelab itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum


class ErrorCode(str, Enum):
    """Stable machine-readable error codes (part of the REST API; never renumber or rename)."""

    INVALID_INPUT = "invalid_input"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NO_MORE_TRIALS = "no_more_trials"
    STORAGE = "storage_error"
    RUNTIME = "runtime_error"


#: code -> (HTTP status, CLI exit code). Exit code 2 means "the user asked for something invalid".
ERROR_TABLE: dict[ErrorCode, tuple[int, int]] = {
    ErrorCode.INVALID_INPUT: (422, 2),
    ErrorCode.NOT_FOUND: (404, 2),
    ErrorCode.CONFLICT: (409, 1),
    ErrorCode.UNAUTHORIZED: (401, 2),
    ErrorCode.FORBIDDEN: (403, 2),
    ErrorCode.NO_MORE_TRIALS: (409, 1),
    ErrorCode.STORAGE: (500, 1),
    ErrorCode.RUNTIME: (500, 1),
}


class TunelabError(Exception):
    """Root of every error tunelab raises on purpose.

    ``message`` must say what went wrong, where (field and value) and what to do about it.
    """

    code: ErrorCode = ErrorCode.RUNTIME

    def __init__(self, message: str, *, code: ErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    @property
    def http_status(self) -> int:
        return ERROR_TABLE[self.code][0]

    @property
    def exit_code(self) -> int:
        return ERROR_TABLE[self.code][1]


class InvalidInputError(TunelabError):
    """A value given by the user breaks a rule (bad field, bad value, bad argument)."""

    code = ErrorCode.INVALID_INPUT


class SearchSpaceError(InvalidInputError):
    """The search space does not follow the NNI format."""


class ConfigError(InvalidInputError):
    """The experiment configuration is invalid."""


class NotFoundError(TunelabError):
    """An experiment, trial or file that was asked for does not exist."""

    code = ErrorCode.NOT_FOUND


class ConflictError(TunelabError):
    """The request is valid but clashes with the current state (e.g. experiment already running)."""

    code = ErrorCode.CONFLICT


class NoMoreTrialsError(TunelabError):
    """A tuner has nothing left to propose (finite space exhausted)."""

    code = ErrorCode.NO_MORE_TRIALS


class StorageError(TunelabError):
    """The experiment database cannot be read or written."""

    code = ErrorCode.STORAGE


class StorageFullError(StorageError):
    """A write found no room: the disk holding the database (or the database's own size limit) is full.

    Told apart by the driver's error code (SQLite's ``SQLITE_FULL``, PostgreSQL's SQLSTATE 53100,
    ``ENOSPC``/``EDQUOT``), never by the wording of its message: the remedy differs (free space, then resume).
    """


def did_you_mean(value: str, candidates: Iterable[str]) -> str:
    """Return ``' (did you mean "x"?)'`` for the closest candidate, or ``''`` when nothing is close."""
    import difflib  # only on the error path

    matches = difflib.get_close_matches(value, list(candidates), n=1, cutoff=0.6)
    return f' (did you mean "{matches[0]}"?)' if matches else ""
