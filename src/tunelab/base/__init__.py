"""Foundation shared by every layer: the exception root, error codes and small helpers."""

from tunelab.base._errors import (
    ERROR_TABLE,
    ConfigError,
    ConflictError,
    ErrorCode,
    InvalidInputError,
    NoMoreTrialsError,
    NotFoundError,
    SearchSpaceError,
    StorageError,
    TunelabError,
    did_you_mean,
)

__all__ = [
    "ERROR_TABLE",
    "ConfigError",
    "ConflictError",
    "ErrorCode",
    "InvalidInputError",
    "NoMoreTrialsError",
    "NotFoundError",
    "SearchSpaceError",
    "StorageError",
    "TunelabError",
    "did_you_mean",
]
