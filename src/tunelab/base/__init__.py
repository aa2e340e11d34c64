"""Foundation shared by every layer: the exception root, error codes, the JSON codec and small helpers.

:mod:`tunelab.base.env` names every environment variable tunelab reads or sets.

Names load on first use: trial processes import the JSON codec from here and must not pay for ``enum``
(which the error table needs).
"""

from __future__ import annotations

from tunelab.base._lazy import lazy_attributes

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs trials ~10 ms
if TYPE_CHECKING:
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
        StorageFullError,
        TunelabError,
        did_you_mean,
    )
    from tunelab.base._json import decode as json_decode
    from tunelab.base._json import decode_float, encode_float, encode_optional, find_non_finite
    from tunelab.base._json import dumps as json_dumps
    from tunelab.base._json import encode as json_encode
    from tunelab.base._json import is_marker as is_nonfinite_marker
    from tunelab.base._json import loads as json_loads
    from tunelab.base._metric import DEFAULT_KEY as DEFAULT_METRIC_KEY
    from tunelab.base._metric import MAX_METRIC_BYTES, final_problem, jsonable_metric, scalar_of
    from tunelab.base._nni_shim import CHANNEL_URL as NNI_CHANNEL_URL
    from tunelab.base._nni_shim import SHIM_DIR as NNI_SHIM_DIR
    from tunelab.base._nni_shim import trial_environment
    from tunelab.base._objective_check import objective_metric_problem
    from tunelab.base._ports import check_port
    from tunelab.base._userclass import instantiate, load_class
    from tunelab.base._userfile import decode_text, yaml_load

# public name -> (module, attribute)
_LAZY = {
    **{name: ("tunelab.base._errors", name) for name in (
        "ERROR_TABLE", "ConfigError", "ConflictError", "ErrorCode", "InvalidInputError", "NoMoreTrialsError",
        "NotFoundError", "SearchSpaceError", "StorageError", "StorageFullError", "TunelabError", "did_you_mean")},
    "DEFAULT_METRIC_KEY": ("tunelab.base._metric", "DEFAULT_KEY"),
    "MAX_METRIC_BYTES": ("tunelab.base._metric", "MAX_METRIC_BYTES"),
    "NNI_CHANNEL_URL": ("tunelab.base._nni_shim", "CHANNEL_URL"),
    "NNI_SHIM_DIR": ("tunelab.base._nni_shim", "SHIM_DIR"),
    "check_port": ("tunelab.base._ports", "check_port"),
    "final_problem": ("tunelab.base._metric", "final_problem"),
    "instantiate": ("tunelab.base._userclass", "instantiate"),
    "jsonable_metric": ("tunelab.base._metric", "jsonable_metric"),
    "load_class": ("tunelab.base._userclass", "load_class"),
    "objective_metric_problem": ("tunelab.base._objective_check", "objective_metric_problem"),
    "scalar_of": ("tunelab.base._metric", "scalar_of"),
    "trial_environment": ("tunelab.base._nni_shim", "trial_environment"),
    "decode_float": ("tunelab.base._json", "decode_float"),
    "decode_text": ("tunelab.base._userfile", "decode_text"),
    "encode_float": ("tunelab.base._json", "encode_float"),
    "encode_optional": ("tunelab.base._json", "encode_optional"),
    "find_non_finite": ("tunelab.base._json", "find_non_finite"),
    "is_nonfinite_marker": ("tunelab.base._json", "is_marker"),
    "json_decode": ("tunelab.base._json", "decode"),
    "json_dumps": ("tunelab.base._json", "dumps"),
    "json_encode": ("tunelab.base._json", "encode"),
    "json_loads": ("tunelab.base._json", "loads"),
    "yaml_load": ("tunelab.base._userfile", "yaml_load"),
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "DEFAULT_METRIC_KEY",
    "ERROR_TABLE",
    "MAX_METRIC_BYTES",
    "NNI_CHANNEL_URL",
    "NNI_SHIM_DIR",
    "ConfigError",
    "ConflictError",
    "ErrorCode",
    "InvalidInputError",
    "NoMoreTrialsError",
    "NotFoundError",
    "SearchSpaceError",
    "StorageError",
    "StorageFullError",
    "TunelabError",
    "check_port",
    "decode_float",
    "decode_text",
    "did_you_mean",
    "encode_float",
    "encode_optional",
    "final_problem",
    "find_non_finite",
    "instantiate",
    "is_nonfinite_marker",
    "json_decode",
    "json_dumps",
    "json_encode",
    "json_loads",
    "jsonable_metric",
    "lazy_attributes",
    "load_class",
    "objective_metric_problem",
    "scalar_of",
    "trial_environment",
    "yaml_load",
]
