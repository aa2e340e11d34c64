"""Trial records: the state machine and the frozen snapshots every layer passes around."""

from tunelab.trial._records import Metric, MetricKind, Trial, TrialSource
from tunelab.trial._state import ExperimentStatus, TrialState

__all__ = ["ExperimentStatus", "Metric", "MetricKind", "Trial", "TrialSource", "TrialState"]
