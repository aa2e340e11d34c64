"""What went wrong with an experiment's failed trials, in one summary for the CLI, the API and the UI.

A failed trial's message is ``exited with code 1: <last stderr line>`` followed by the tail of its stderr
(see the manager's ``_failure_message``); the reason worth showing is that last stderr line, e.g.
``ModuleNotFoundError: No module named 'torch'``. Pure functions over trial records: the manager uses them
to stop a run whose first trials all fail, the server and the CLI to say why.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tunelab.trial import Trial, TrialState

#: Trials that show the trial command works: it ran to the end, or reported until the assessor stopped it.
WORKED_STATES = frozenset({TrialState.SUCCEEDED, TrialState.EARLY_STOPPED})
_EXIT_PREFIX = re.compile(r"^exited with [^:]+: (?P<reason>.+)$")
_REASON_MAX = 300


def failure_reason(message: str) -> str:
    """The headline of a failed trial's message: its last stderr line when it has one."""
    first = (message or "").strip().splitlines()[0].strip() if (message or "").strip() else ""
    if not first:
        return "failed without a message"
    match = _EXIT_PREFIX.match(first)
    reason = match.group("reason") if match else first
    return reason[:_REASON_MAX]


#: Import names whose PyPI package is named otherwise (the ones an ML trial script meets most).
_PACKAGE_OF_MODULE = {"sklearn": "scikit-learn", "cv2": "opencv-python", "PIL": "Pillow", "yaml": "PyYAML",
                      "skimage": "scikit-image", "lightning": "lightning", "pytorch_lightning": "lightning"}
_MISSING_MODULE = re.compile(r"^ModuleNotFoundError: No module named '(?P<module>[A-Za-z_][\w.]*)'")


def failure_hint(reason: str) -> str | None:
    """What to do about a common failure reason, or None: a missing module names the pip command."""
    match = _MISSING_MODULE.match(reason)
    if match is None:
        return None
    top = match.group("module").split(".")[0]
    if top in ("tunelab", "nni"):
        return ("the trials' Python cannot import tunelab: install tunelab into the environment the trial "
                "command runs in, or run the trial command with the Python tunelab is installed in")
    package = _PACKAGE_OF_MODULE.get(top, top)
    hint = f"install it into the Python the trial command runs: python -m pip install {package}"
    if top not in _PACKAGE_OF_MODULE and top not in sys.stdlib_module_names:
        hint += " (or, if it is a module of yours, put it in trialCodeDirectory)"
    return hint


def stderr_command(experiment_id: str, trial_id: str) -> str:
    """The command that prints one trial's stderr."""
    return f"tunelab log {experiment_id} -T {trial_id} --stderr"


@dataclass(frozen=True, slots=True)
class FailureSummary:
    """Failed trials of an experiment: how many, the most common reason and one trial to look at."""

    failed: int
    reason: str
    reason_count: int
    trial_id: str
    sequence: int
    command: str

    def to_json(self) -> dict[str, Any]:
        return {"failed": self.failed, "reason": self.reason, "reason_count": self.reason_count,
                "trial_id": self.trial_id, "sequence": self.sequence, "command": self.command,
                "hint": failure_hint(self.reason)}

    def lines(self, finished: int | None = None) -> list[str]:
        """Two lines for a terminal: the count and reason, then the command to read one trial's stderr."""
        of = f" of {finished}" if finished is not None else ""
        most = "" if self.reason_count == self.failed else f" ({self.reason_count} of them)"
        hint = failure_hint(self.reason)
        return [
            f"{self.failed}{of} trials failed{most}: {self.reason}" + (f"; {hint}" if hint else ""),
            f"read trial {self.sequence}'s stderr: {self.command}",
        ]


def summarize_failures(experiment_id: str, trials: Iterable[Trial]) -> FailureSummary | None:
    """The summary of the FAILED trials among ``trials``, or None when none failed.

    The example trial is the earliest one with the most common reason (its stderr is the one to read).
    """
    failed = sorted((t for t in trials if t.status == TrialState.FAILED), key=lambda t: t.sequence)
    if not failed:
        return None
    reasons = Counter(failure_reason(t.message) for t in failed)
    reason, count = reasons.most_common(1)[0]
    example = next(t for t in failed if failure_reason(t.message) == reason)
    return FailureSummary(failed=len(failed), reason=reason, reason_count=count, trial_id=example.id,
                          sequence=example.sequence, command=stderr_command(experiment_id, example.id))


def fail_fast_message(experiment_id: str, summary: FailureSummary) -> str:
    """The ERROR of an experiment stopped because its first trials all failed."""
    hint = failure_hint(summary.reason)
    return (
        f"the first {summary.failed} trials all failed: {summary.reason} (trial {summary.sequence} stderr: "
        f"{summary.command}); {hint + ', then' if hint else 'fix the cause, then'} `tunelab resume {experiment_id}` "
        "(failFastTrials: 0 turns this check off)"
    )


def summary_from_json(data: Mapping[str, Any] | None) -> FailureSummary | None:
    """The summary carried in the API's experiment JSON (``failures``), for the CLI talking to a manager."""
    if not data:
        return None
    return FailureSummary(failed=int(data["failed"]), reason=str(data["reason"]),
                          reason_count=int(data["reason_count"]), trial_id=str(data["trial_id"]),
                          sequence=int(data["sequence"]), command=str(data["command"]))
