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
from tunelab.base._metric import DEFAULT_KEY, MAX_METRIC_BYTES, jsonable_metric, scalar_of

__all__ = [
    "DEFAULT_KEY",
    "ERROR_TABLE",
    "ConfigError",
    "ConflictError",
    "ErrorCode",
    "InvalidInputError",
    "MAX_METRIC_BYTES",
    "NoMoreTrialsError",
    "NotFoundError",
    "SearchSpaceError",
    "StorageError",
    "TunelabError",
    "did_you_mean",
    "jsonable_metric",
    "scalar_of",
]
