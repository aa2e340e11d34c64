"""Glue between trial processes and tunelab, importable without tunelab being installed (stdlib only).

Two users:

* the ``nni`` shim package next to this module, which needs ``tunelab.trial_api``;
* the real NNI 3.0 SDK, which loads :class:`TunelabTrialCommandChannel` because the manager sets
  ``NNI_TRIAL_COMMAND_CHANNEL=import://tunelab_nni_bridge.TunelabTrialCommandChannel`` (NNI's documented
  plug-in hook; NNI resolves it with ``__import__`` of the top-level module, hence a top-level module).

A trial may run under another Python environment than the manager (a conda env with the real ``nni``), so
when ``import tunelab`` fails the package is loaded from the directory this file ships in.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any

SHIM_ROOT = os.path.dirname(os.path.abspath(__file__))
#: ``.../tunelab/compat/_shim`` -> ``.../tunelab``
_PACKAGE_DIR = os.path.dirname(os.path.dirname(SHIM_ROOT))


def trial_api() -> ModuleType:
    """``tunelab.trial_api``, from the trial's environment or else from the manager's installation."""
    try:
        import tunelab.trial_api as api
    except ImportError:
        _load_tunelab_from(_PACKAGE_DIR)
        import tunelab.trial_api as api
    return api


def _load_tunelab_from(package_dir: str) -> None:
    # Register only the `tunelab` package itself: adding its parent (often a site-packages directory) to
    # sys.path would expose every package of the manager's environment to the trial.
    import importlib.util

    init = os.path.join(package_dir, "__init__.py")
    spec = importlib.util.spec_from_file_location("tunelab", init, submodule_search_locations=[package_dir])
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load tunelab from {package_dir}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["tunelab"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules["tunelab"]
        raise


def _channel_base() -> type:
    """NNI's ``TrialCommandChannel`` when the real SDK is loading this plug-in (its channel package imported
    ``.base`` first), else ``object``. Never imports ``nni``: the shim imports this module mid-import."""
    base = sys.modules.get("nni.runtime.trial_command_channel.base")
    return getattr(base, "TrialCommandChannel", object)


class TunelabTrialCommandChannel(_channel_base()):  # type: ignore[misc]
    """NNI's trial command channel, served by tunelab's trial API.

    ``receive_parameter`` returns NNI's ``ParameterRecord`` built from the parameters the manager handed
    over at spawn (no round trip); ``send_metric`` goes through tunelab's durable metrics file and live
    socket, with tunelab's metric rule (number or dict with a numeric ``'default'``; first final wins).
    """

    def __init__(self) -> None:
        self._api = trial_api()
        self._received = False

    def receive_parameter(self) -> dict[str, Any] | None:
        parameters = self._api.get_next_parameter()
        source = "resumed" if self._received else "algorithm"
        self._received = True
        return {
            "parameter_id": self._api.get_sequence_id(),
            "parameter_source": source,
            "parameters": parameters,
            "parameter_index": 0,
        }

    def send_metric(
        self,
        type: str,  # NNI's keyword name
        parameter_id: int | None,
        trial_job_id: str,
        sequence: int,
        value: Any,
    ) -> None:
        del parameter_id, trial_job_id, sequence  # tunelab keys metrics by its own trial id and counter
        if type == "FINAL":
            self._api.report_final_result(value)
        else:
            self._api.report_intermediate_result(value)


CHANNEL_URL = "import://tunelab_nni_bridge.TunelabTrialCommandChannel"
