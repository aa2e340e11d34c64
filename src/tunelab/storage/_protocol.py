"""The storage contract: what the manager writes and every reader (CLI, server, resume) reads.

One ``ExperimentStore`` holds one experiment. The manager is its only writer; readers open their own
store on the same database (SQLite in WAL mode lets them read while the manager writes). Every write is
committed when the call returns, unless it runs inside ``with store.transaction():``, which commits once at
the end (the manager batches metric bursts that way).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from tunelab.storage._query import TrialPage, TrialQuery
from tunelab.trial import ExperimentStatus, Metric, MetricKind, Trial, TrialState

SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class ExperimentRecord:
    """Snapshot of an experiment row.

    ``config`` is the canonical config as a plain JSON dict (``ExperimentConfig.to_dict()``), updated when
    the user changes concurrency, budgets or the search space. ``elapsed`` is the run time accumulated by
    earlier manager sessions (resume continues it); ``run_started_at`` is when the current session began.
    """

    id: str
    name: str | None
    config: Mapping[str, Any]
    status: ExperimentStatus = ExperimentStatus.INITIALIZED
    error: str | None = None
    created_at: float = 0.0
    run_started_at: float | None = None
    ended_at: float | None = None
    elapsed: float = 0.0
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Event:
    """An entry of the append-only event log (state changes, user actions, warnings)."""

    id: int
    timestamp: float
    kind: str
    trial_id: str | None
    data: Mapping[str, Any]


@runtime_checkable
class ExperimentStore(Protocol):
    """Persistence of one experiment. Implementations: SQLite (default), PostgreSQL, in-memory."""

    experiment_id: str
    readonly: bool

    # -- lifecycle ---------------------------------------------------------------------------------------
    def close(self) -> None: ...

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes into one commit; nested use joins the outer transaction."""
        ...

    # -- experiment --------------------------------------------------------------------------------------
    def create_experiment(self, record: ExperimentRecord) -> None:
        """Insert the experiment row. Raises ``ConflictError`` if it exists already."""
        ...

    def get_experiment(self) -> ExperimentRecord:
        """Raises ``NotFoundError`` if the experiment row does not exist."""
        ...

    def update_experiment(
        self,
        *,
        status: ExperimentStatus | None = None,
        error: str | None = None,
        config: Mapping[str, Any] | None = None,
        run_started_at: float | None = None,
        ended_at: float | None = None,
        clear_ended_at: bool = False,
        elapsed: float | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Change the given fields only (``None`` = leave as is). ``error=''`` clears the error."""
        ...

    # -- trials ------------------------------------------------------------------------------------------
    def next_sequence(self) -> int:
        """One more than the largest trial sequence stored (0 for none)."""
        ...

    def insert_trial(self, trial: Trial) -> None:
        """Raises ``ConflictError`` on a duplicate id or sequence."""
        ...

    def update_trial(
        self,
        trial_id: str,
        *,
        status: TrialState | None = None,
        started_at: float | None = None,
        ended_at: float | None = None,
        message: str | None = None,
        attempt: int | None = None,
        pid: int | None = None,
        clear_pid: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Change the given fields. Raises ``NotFoundError`` for an unknown trial and ``ConflictError``
        when ``status`` is not a move the transition table allows from the stored status
        (:meth:`TrialState.can_move_to`); then nothing is changed. The check and the write are one atomic
        step, so two writers cannot both end the same trial."""
        ...

    def get_trial(self, trial_id: str) -> Trial:
        """Raises ``NotFoundError``."""
        ...

    def list_trials(self, statuses: Sequence[TrialState] | None = None) -> list[Trial]:
        """All trials (optionally only these statuses), ordered by sequence."""
        ...

    def count_trials(self) -> dict[TrialState, int]:
        """Number of trials per status (statuses with none are absent)."""
        ...

    def best_trial(self, *, maximize: bool) -> Trial | None:
        """The trial with the highest (``maximize``) or lowest final value; NaN finals never win; ties go
        to the lower sequence. ``None`` when no trial has a usable final value."""
        ...

    def query_trials(self, query: TrialQuery) -> TrialPage:
        """One page of the trials matching ``query``: filters, sort and paging as documented in
        ``tunelab.storage._query`` (every store gives the same answer). Raises nothing for valid queries:
        ``TrialQuery`` validates itself."""
        ...

    # -- metrics -----------------------------------------------------------------------------------------
    def add_intermediates(self, metrics: Sequence[Metric]) -> int:
        """Store PERIODICAL metrics; a (trial, sequence) already stored is ignored. Returns how many
        were new. Keeps the trial's ``intermediate_count`` and ``latest_intermediate`` current."""
        ...

    def set_final(self, metric: Metric) -> bool:
        """Store the FINAL metric and the trial's ``final``/``final_data`` unless the trial has one
        already; returns False (and changes nothing) in that case: the first final result wins."""
        ...

    def reset_metrics(self, trial_id: str) -> None:
        """Forget the trial's metrics and final result: it runs again from scratch (a retry, or a re-run
        after a manager crash), so the earlier attempt's values must not mix with the new ones."""
        ...

    def get_metrics(self, trial_id: str, kind: MetricKind | None = None) -> list[Metric]:
        """The trial's metrics ordered by kind then sequence."""
        ...

    def iter_metrics(self, kind: MetricKind | None = None) -> Iterator[Metric]:
        """Every metric of the experiment, ordered by trial sequence then metric sequence."""
        ...

    def metrics_since(self, after: int = 0, *, limit: int = 10_000) -> tuple[list[Metric], int]:
        """Metrics stored after cursor ``after`` (0 = from the start), in storage order, at most ``limit``;
        returns them and the cursor to pass next time (unchanged when nothing is new). Live updates use it
        to send only what changed. Cursors are opaque, growing integers, valid for one store backend."""
        ...

    # -- events ------------------------------------------------------------------------------------------
    def add_event(
        self,
        kind: str,
        *,
        trial_id: str | None = None,
        data: Mapping[str, Any] | None = None,
        timestamp: float | None = None,
    ) -> int:
        """Append to the event log; returns the event id (monotonic)."""
        ...

    def list_events(
        self, *, trial_id: str | None = None, after_id: int = 0, limit: int = 1000
    ) -> list[Event]: ...
