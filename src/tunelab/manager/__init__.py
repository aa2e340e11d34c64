"""The experiment loop and the sessions that open experiments for it (create, resume, view)."""

from tunelab.manager._feed import ChangeFeed
from tunelab.manager._lock import ManagerInfo, ManagerLock, clear_info, read_info, write_info
from tunelab.manager._manager import ExperimentManager, trial_json
from tunelab.manager._paths import experiments_root, validate_experiment_id
from tunelab.manager._queries import (
    best_json,
    best_trial,
    counts,
    export_csv,
    export_records,
    optimize_mode_of,
    ranked_trials,
)
from tunelab.manager._session import Mode, Session, create_session, find_experiment_dir, open_session

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
    "find_experiment_dir",
    "open_session",
    "optimize_mode_of",
    "ranked_trials",
    "read_info",
    "trial_json",
    "validate_experiment_id",
    "write_info",
]
