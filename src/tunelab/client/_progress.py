"""The live progress line of `tunelab run` and `tunelab demo`: trials done/total, running, failed, best so far; and the failure
summary when the run ends."""

from __future__ import annotations

import asyncio
import contextlib

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tunelab.client._safe import safe
from tunelab.manager import (
    WORKED_STATES,
    ManagerInfo,
    Session,
    best_trial,
    interpreter_note,
    optimize_mode_of,
    summarize_failures,
)
from tunelab.objectives import pareto_front
from tunelab.trial import TrialState

RENDER_INTERVAL_S = 0.2


class ProgressView:
    """Renders from the manager's change feed (no polling); a no-op when disabled or viewing."""

    def __init__(self, session: Session, *, console: Console, enabled: bool = True) -> None:
        self._session = session
        self._console = console
        self._enabled = enabled and session.manager is not None
        self._progress: Progress | None = None
        self._task: asyncio.Task[None] | None = None
        self._mode = optimize_mode_of(session.config.to_dict())
        spec = session.config.objective_spec
        self._objectives = spec if spec is not None and spec.multi else None
        #: Whether any trial of the experiment succeeded (or was stopped early after reporting), as of stop().
        self.any_worked = True

    def announce(self, info: ManagerInfo) -> None:
        url = info.url + (f"?token={info.token}" if info.token else "")
        self._console.print(f"Experiment [bold]{safe(info.experiment_id)}[/] - web UI: {safe(url)}")
        note = interpreter_note()
        if note and self._session.manager is not None:
            self._console.print(note, markup=False, highlight=False)

    def start(self) -> None:
        if not self._enabled:
            return
        self._progress = Progress(
            TextColumn("[bold]trials"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
            TimeElapsedColumn(), console=self._console, transient=False,
        )
        self._bar = self._progress.add_task("", total=self._total())
        self._progress.start()
        self._task = asyncio.get_running_loop().create_task(self._follow())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._progress is not None:
            self._refresh()
            self._progress.stop()
            self._progress = None
            self._report_end()
        elif self._session.manager is not None:
            self.any_worked = self._worked(self._session.store.count_trials())

    @staticmethod
    def _worked(counts: dict[TrialState, int]) -> bool:
        return any(counts.get(state, 0) for state in WORKED_STATES)

    def _report_end(self) -> None:
        """After the last render: why trials failed, and what to read (the store is still open)."""
        store, manager = self._session.store, self._session.manager
        counts = store.count_trials()
        self.any_worked = self._worked(counts)
        if manager is not None and manager.status.value == "ERROR":
            error = store.get_experiment().error
            if error:
                self._console.print(f"[bold red]experiment ERROR:[/] {safe(error, newlines=True)}", highlight=False,
                                    soft_wrap=True)
        if not counts.get(TrialState.FAILED):
            if not self.any_worked:
                self._console.print("[yellow]no trial succeeded[/]")
            return
        summary = summarize_failures(self._session.experiment_id, store.list_trials([TrialState.FAILED]))
        if summary is None:
            return
        finished = sum(n for state, n in counts.items() if state.is_finished)
        head, command = summary.lines(finished)
        prefix = "" if self.any_worked else "no trial succeeded: "
        self._console.print(f"[yellow]{prefix}{safe(head, newlines=True)}[/]", highlight=False, soft_wrap=True)
        self._console.print(command, markup=False, highlight=False, soft_wrap=True)

    def _total(self) -> int | None:
        return self._session.config.max_trial_number

    async def _follow(self) -> None:
        manager = self._session.manager
        assert manager is not None
        self._refresh()
        async with manager.feed.subscribe() as queue:
            while True:
                changes = [await queue.get()]
                while not queue.empty():
                    changes.append(queue.get_nowait())
                if any(c.get("type") in ("trial", "experiment", "config", "resync") for c in changes):
                    with contextlib.suppress(Exception):
                        self._refresh()
                    await asyncio.sleep(RENDER_INTERVAL_S)  # coalesce bursts: at most 5 renders a second

    def _refresh(self) -> None:
        if self._progress is None:
            return
        store = self._session.store
        counts = store.count_trials()
        done = sum(n for state, n in counts.items() if state.is_finished)
        running = counts.get(TrialState.RUNNING, 0)
        failed = counts.get(TrialState.FAILED, 0)
        failed_text = f"  [red]failed {failed}[/]" if failed else ""
        manager = self._session.manager
        status = manager.status.value if manager is not None else ""
        if self._objectives is not None:
            # Several objectives have no single best: the size of the Pareto front tells progress.
            front = pareto_front(store.list_trials(), self._objectives)
            result = f"pareto front {len(front)}"
        else:
            best = best_trial(store, self._mode)
            best_text = "-" if best is None or not best.has_usable_final else f"{best.final:.6g}"
            result = f"best {best_text} (#{best.sequence if best else '-'})"
        self._progress.update(
            self._bar, completed=done, total=manager.expected_total if manager is not None else None,
            description=f"running {running}{failed_text}  {result}  {status}",
        )
