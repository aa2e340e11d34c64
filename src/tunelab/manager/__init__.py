"""The experiment loop and the sessions that open experiments for it (create, resume, view).

Exports load on first use: the CLI's read commands need only the light modules (paths, lock, queries, wire
shapes) and should not pay for importing the tuners and the runners.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tunelab.manager._feed import ChangeFeed
    from tunelab.manager._lock import ManagerInfo, ManagerLock, clear_info, read_info, write_info
    from tunelab.manager._manager import ExperimentManager
    from tunelab.manager._mode import Mode
    from tunelab.manager._paths import experiments_root, find_experiment_dir, validate_experiment_id
    from tunelab.manager._queries import (
        best_json,
        best_trial,
        counts,
        export_csv,
        export_records,
        failures_json,
        nni_json_text,
        objective_spec_of,
        optimize_mode_of,
        pareto_json,
        ranked_trials,
    )
    from tunelab.manager._session import Session, create_session, open_session
    from tunelab.manager._wire import trial_json

_LAZY = {
    "ChangeFeed": "tunelab.manager._feed",
    "ExperimentManager": "tunelab.manager._manager",
    "ManagerInfo": "tunelab.manager._lock",
    "ManagerLock": "tunelab.manager._lock",
    "Mode": "tunelab.manager._mode",
    "Session": "tunelab.manager._session",
    "best_json": "tunelab.manager._queries",
    "best_trial": "tunelab.manager._queries",
    "clear_info": "tunelab.manager._lock",
    "counts": "tunelab.manager._queries",
    "create_session": "tunelab.manager._session",
    "experiments_root": "tunelab.manager._paths",
    "export_csv": "tunelab.manager._queries",
    "export_records": "tunelab.manager._queries",
    "failures_json": "tunelab.manager._queries",
    "find_experiment_dir": "tunelab.manager._paths",
    "nni_json_text": "tunelab.manager._queries",
    "objective_spec_of": "tunelab.manager._queries",
    "open_session": "tunelab.manager._session",
    "optimize_mode_of": "tunelab.manager._queries",
    "pareto_json": "tunelab.manager._queries",
    "ranked_trials": "tunelab.manager._queries",
    "read_info": "tunelab.manager._lock",
    "trial_json": "tunelab.manager._wire",
    "validate_experiment_id": "tunelab.manager._paths",
    "write_info": "tunelab.manager._lock",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tunelab.manager' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "ChangeFeed",
    "ExperimentManager",
    "ManagerInfo",
    "ManagerLock",
    "Mode",
    "Session",
    "best_json",
    "best_trial",
    "clear_info",
    "counts",
    "create_session",
    "experiments_root",
    "export_csv",
    "export_records",
    "failures_json",
    "find_experiment_dir",
    "nni_json_text",
    "objective_spec_of",
    "open_session",
    "optimize_mode_of",
    "pareto_json",
    "ranked_trials",
    "read_info",
    "trial_json",
    "validate_experiment_id",
    "write_info",
]
