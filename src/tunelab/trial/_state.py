"""Trial states and experiment statuses, with NNI's names, and the table of allowed trial transitions."""

from __future__ import annotations

from enum import Enum

from tunelab.base import ConflictError


class TrialState(str, Enum):
    """Life of one trial. Values are NNI's strings, so exports and the UI read the same."""

    WAITING = "WAITING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    USER_CANCELED = "USER_CANCELED"
    EARLY_STOPPED = "EARLY_STOPPED"

    @property
    def is_finished(self) -> bool:
        return self in _FINISHED

    def can_move_to(self, new: TrialState) -> bool:
        return new in _TRANSITIONS[self]

    def check_move_to(self, new: TrialState) -> None:
        """Raise :class:`ConflictError` unless ``self -> new`` is in the transition table."""
        if not self.can_move_to(new):
            raise ConflictError(f"trial cannot go from {self.value} to {new.value}")

    @staticmethod
    def sources_of(new: TrialState) -> frozenset[TrialState]:
        """The states a trial may move to ``new`` from (what a store's compare-and-set checks)."""
        return _SOURCES[TrialState(new)]


_FINISHED = frozenset(
    {TrialState.SUCCEEDED, TrialState.FAILED, TrialState.USER_CANCELED, TrialState.EARLY_STOPPED}
)

# RUNNING -> WAITING is a requeue: a retry (maxTrialRetries) or a trial whose process died with the
# manager and is run again with the same parameters on resume. Finished states are final.
_TRANSITIONS: dict[TrialState, frozenset[TrialState]] = {
    TrialState.WAITING: frozenset({TrialState.RUNNING, TrialState.USER_CANCELED, TrialState.FAILED}),
    TrialState.RUNNING: frozenset(
        {
            TrialState.SUCCEEDED,
            TrialState.FAILED,
            TrialState.USER_CANCELED,
            TrialState.EARLY_STOPPED,
            TrialState.WAITING,
        }
    ),
    TrialState.SUCCEEDED: frozenset(),
    TrialState.FAILED: frozenset(),
    TrialState.USER_CANCELED: frozenset(),
    TrialState.EARLY_STOPPED: frozenset(),
}

_SOURCES: dict[TrialState, frozenset[TrialState]] = {
    new: frozenset(old for old, targets in _TRANSITIONS.items() if new in targets) for new in TrialState
}


class ExperimentStatus(str, Enum):
    """Status of an experiment, NNI's names. ``NO_MORE_TRIAL``: budget used, trials may still run."""

    INITIALIZED = "INITIALIZED"
    RUNNING = "RUNNING"
    NO_MORE_TRIAL = "NO_MORE_TRIAL"
    TUNER_NO_MORE_TRIAL = "TUNER_NO_MORE_TRIAL"
    DONE = "DONE"
    STOPPED = "STOPPED"
    ERROR = "ERROR"
    VIEWED = "VIEWED"

    @property
    def is_active(self) -> bool:
        """True while the manager may still start or run trials."""
        return self in {
            ExperimentStatus.INITIALIZED,
            ExperimentStatus.RUNNING,
            ExperimentStatus.NO_MORE_TRIAL,
            ExperimentStatus.TUNER_NO_MORE_TRIAL,
        }
