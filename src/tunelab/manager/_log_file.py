"""The experiment's manager log, ``<experiment>/log/manager.log``: what the manager did and why.

Each manager logs through its own logger (:func:`manager_logger`), so two experiments served by one process
(the Python API, tests) never write into each other's file. The file gets everything from INFO up (trial
state changes, experiment status, start/stop/resume, tuner errors, warnings); only WARNING and above go on
to the parent loggers, so a user's ``logging.basicConfig()`` sees what it saw before and no trial chatter.
"""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

from tunelab.manager._paths import LOG_DIR

MANAGER_LOG = "manager.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 3
_PREFIX = "tunelab.manager.experiment"


def manager_log_path(experiment_dir: Path) -> Path:
    return experiment_dir / LOG_DIR / MANAGER_LOG


def manager_logger(experiment_id: str) -> logging.Logger:
    """The logger of one experiment's manager (experiment ids have no dots: one flat level of children)."""
    return logging.getLogger(f"{_PREFIX}.{experiment_id}")


class _ForwardWarnings(logging.Handler):
    """Hands WARNING and above to the parent loggers, as if the experiment logger still propagated."""

    def __init__(self, parent: logging.Logger) -> None:
        super().__init__(logging.WARNING)
        self._parent = parent

    def emit(self, record: logging.LogRecord) -> None:
        self._parent.handle(record)


class ManagerLog:
    """Owns the file handler of one experiment's manager log; :meth:`close` detaches it."""

    def __init__(self, experiment_id: str, experiment_dir: Path) -> None:
        path = manager_log_path(experiment_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.logger = manager_logger(experiment_id)
        self._file = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
        self._file.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s %(message)s"))
        self._forward = _ForwardWarnings(logging.getLogger(_PREFIX))
        self.logger.setLevel(logging.INFO)
        self.logger.propagate = False
        self.logger.addHandler(self._file)
        self.logger.addHandler(self._forward)

    def close(self) -> None:
        for handler in (self._file, self._forward):
            self.logger.removeHandler(handler)
        self._file.close()
        self.logger.setLevel(logging.NOTSET)
        self.logger.propagate = True
