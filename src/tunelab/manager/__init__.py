"""The experiment loop and the sessions that open experiments for it (create, resume, view).

Exports load on first use: the CLI's read commands need only the light modules (paths, lock, queries, wire
shapes) and should not pay for importing the tuners and the runners.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tunelab.base import lazy_attributes

if TYPE_CHECKING:
    from tunelab.manager._capacity import concurrency_warning
    from tunelab.manager._failures import WORKED_STATES, FailureSummary, summarize_failures, summary_from_json
    from tunelab.manager._feed import ChangeFeed
    from tunelab.manager._interpreter import interpreter_note, venv_path_env
    from tunelab.manager._lock import ManagerInfo, ManagerLock, clear_info, read_info, write_info
    from tunelab.manager._log_file import manager_log_path
    from tunelab.manager._manager import ExperimentManager
    from tunelab.manager._mode import Mode
    from tunelab.manager._paths import (
        apply_file_umask,
        experiments_root,
        find_experiment_dir,
        new_trial_id,
        prepare_root,
        validate_experiment_id,
    )
    from tunelab.manager._queries import (
        best_json,
        best_trial,
        counts,
        export_csv,
        export_records,
        failures_json,
        nni_json_text,
        optimize_mode_of,
        pareto_json,
        ranked_trials,
    )
    from tunelab.manager._session import Session, create_session, open_session
    from tunelab.manager._tensorboard import (
        TENSORBOARD_INSTALL_HINT,
        TENSORBOARD_PORT,
        has_event_files,
        logdirs,
        select_trials,
        tensorboard_argv,
        tensorboard_dir,
        tensorboard_installed,
    )
    from tunelab.manager._wire import trial_json
    from tunelab.objectives import objective_spec_of

_LAZY = {
    "TENSORBOARD_INSTALL_HINT": "tunelab.manager._tensorboard",
    "TENSORBOARD_PORT": "tunelab.manager._tensorboard",
    "has_event_files": "tunelab.manager._tensorboard",
    "logdirs": "tunelab.manager._tensorboard",
    "select_trials": "tunelab.manager._tensorboard",
    "tensorboard_argv": "tunelab.manager._tensorboard",
    "tensorboard_dir": "tunelab.manager._tensorboard",
    "tensorboard_installed": "tunelab.manager._tensorboard",
    "ChangeFeed": "tunelab.manager._feed",
    "ExperimentManager": "tunelab.manager._manager",
    "FailureSummary": "tunelab.manager._failures",
    "ManagerInfo": "tunelab.manager._lock",
    "ManagerLock": "tunelab.manager._lock",
    "Mode": "tunelab.manager._mode",
    "Session": "tunelab.manager._session",
    "WORKED_STATES": "tunelab.manager._failures",
    "apply_file_umask": "tunelab.manager._paths",
    "best_json": "tunelab.manager._queries",
    "best_trial": "tunelab.manager._queries",
    "clear_info": "tunelab.manager._lock",
    "concurrency_warning": "tunelab.manager._capacity",
    "counts": "tunelab.manager._queries",
    "create_session": "tunelab.manager._session",
    "experiments_root": "tunelab.manager._paths",
    "export_csv": "tunelab.manager._queries",
    "export_records": "tunelab.manager._queries",
    "failures_json": "tunelab.manager._queries",
    "find_experiment_dir": "tunelab.manager._paths",
    "interpreter_note": "tunelab.manager._interpreter",
    "manager_log_path": "tunelab.manager._log_file",
    "new_trial_id": "tunelab.manager._paths",
    "nni_json_text": "tunelab.manager._queries",
    "objective_spec_of": "tunelab.objectives",
    "open_session": "tunelab.manager._session",
    "optimize_mode_of": "tunelab.manager._queries",
    "pareto_json": "tunelab.manager._queries",
    "prepare_root": "tunelab.manager._paths",
    "ranked_trials": "tunelab.manager._queries",
    "read_info": "tunelab.manager._lock",
    "summarize_failures": "tunelab.manager._failures",
    "summary_from_json": "tunelab.manager._failures",
    "trial_json": "tunelab.manager._wire",
    "validate_experiment_id": "tunelab.manager._paths",
    "venv_path_env": "tunelab.manager._interpreter",
    "write_info": "tunelab.manager._lock",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


__all__ = [
    "TENSORBOARD_INSTALL_HINT",
    "TENSORBOARD_PORT",
    "WORKED_STATES",
    "ChangeFeed",
    "ExperimentManager",
    "FailureSummary",
    "ManagerInfo",
    "ManagerLock",
    "Mode",
    "Session",
    "apply_file_umask",
    "best_json",
    "best_trial",
    "clear_info",
    "concurrency_warning",
    "counts",
    "create_session",
    "experiments_root",
    "export_csv",
    "export_records",
    "failures_json",
    "find_experiment_dir",
    "has_event_files",
    "interpreter_note",
    "logdirs",
    "manager_log_path",
    "new_trial_id",
    "nni_json_text",
    "objective_spec_of",
    "open_session",
    "optimize_mode_of",
    "pareto_json",
    "prepare_root",
    "ranked_trials",
    "read_info",
    "select_trials",
    "summarize_failures",
    "summary_from_json",
    "tensorboard_argv",
    "tensorboard_dir",
    "tensorboard_installed",
    "trial_json",
    "validate_experiment_id",
    "venv_path_env",
    "write_info",
]
