"""Kill a detached manager again and again, resume it each time, and check that nothing was lost.

A *plan* is either a fault point of :mod:`tunelab.manager._faults` (``"after_spawn:2"``: the manager
``os._exit(137)``s the 2nd time it gets there) or ``"random:<seconds>"`` (SIGKILL from outside after that
long). Each kill is followed by ``tunelab resume``; after the last plan the experiment runs to its end.
"""

from __future__ import annotations

import math
import os
import random
import signal
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from tunelab.trial import TrialSource, TrialState

from .harness import Lab, Snapshot, free_port, pid_alive, wait_for

STEPS = 12
ANCHOR_RELEASE = "release-anchor"
# Trial 0 (the anchor) keeps reporting until the test releases it, so it is alive at every crash and must
# be re-attached each time; the others report STEPS values and end on their own.
TRIAL = """
import os
import time
import tunelab.trial_api as api

x = api.get_next_parameter()["x"]
anchor = api.get_sequence_id() == 0
i = 0
while (i < {steps}) if not anchor else not os.path.exists({release!r}):
    api.report_intermediate_result(x * (i + 1))
    i += 1
    time.sleep({pause})
api.report_final_result(x * 100)
"""
START_TIMEOUT = 120.0
RUN_TIMEOUT = 180.0


@dataclass
class CrashReport:
    kills: int = 0
    plans: list[str] = field(default_factory=list)
    reattached: int = 0
    requeued: int = 0
    recovered_succeeded: int = 0
    trials: int = 0
    metrics: int = 0


def random_plans(count: int, seed: int) -> list[str]:
    """``count`` plans cycling through every fault point (varied counts) with random-time kills between."""
    from tunelab.manager._faults import POINTS

    rng = random.Random(seed)
    plans: list[str] = []
    faults = 0
    for index in range(count):
        if index % 3 == 2:
            plans.append(f"random:{rng.uniform(0.3, 4.0):.2f}")
        else:
            point = POINTS[faults % len(POINTS)]
            faults += 1
            hits = rng.randint(1, 40) if point.startswith("metric") else rng.randint(1, 3)
            plans.append(f"{point}:{hits}")
    return plans


def run_with_kills(lab: Lab, plans: list[str], *, max_trials: int, concurrency: int = 3,
                   pause: float = 0.3, exp_id: str = "crash") -> CrashReport:
    """Run the plans; ``pause`` between reports makes a trial last ``STEPS * pause`` seconds, which must
    exceed a manager restart (a few seconds) for trials to be re-attached rather than found dead."""
    release = lab.code / ANCHOR_RELEASE
    lab.write("crash_trial.py", TRIAL.format(steps=STEPS, pause=pause, release=str(release)))
    config = lab.config(trial="crash_trial.py", trialConcurrency=concurrency, maxTrialNumber=max_trials,
                        tuner={"name": "TPE", "classArgs": {"seed": 11}})
    port = free_port()
    report = CrashReport()
    previous: Snapshot | None = None
    for index, plan in enumerate([*plans, None]):
        fault = plan if plan is not None and not plan.startswith("random:") else None
        if plan is None:
            release.touch()
        launched = time.time()
        started = lab.create(config, exp_id, port=port, fault=fault) if index == 0 else \
            lab.resume(exp_id, port=port, fault=fault)
        assert started.returncode == 0, f"start {index} ({plan}) failed: {started.stdout}\n{started.stderr}"
        info = wait_for(lambda: lab.manager_info(exp_id), START_TIMEOUT, "manager.json")
        pid = int(info["pid"])
        if plan is not None and plan.startswith("random:"):
            time.sleep(float(plan.split(":", 1)[1]))
            if pid_alive(pid):
                os.kill(pid, signal.SIGKILL)
        wait_for(partial(_died_or_ended, lab, exp_id, pid, launched, max_trials, release), RUN_TIMEOUT,
                 f"the manager to die ({plan}) or the experiment to end")
        if pid_alive(pid):  # the experiment ended before the fault fired: stop the serving manager
            lab.stop(exp_id)
            snapshot = lab.snapshot(exp_id)
            check_preserved(previous, snapshot)
            previous = snapshot
            break
        report.kills += 1
        report.plans.append(plan or "")
        snapshot = lab.snapshot(exp_id)
        check_preserved(previous, snapshot)
        check_budget(snapshot, max_trials)
        previous = snapshot
    assert previous is not None
    check_final(lab, exp_id, previous, max_trials)
    events = lab.events(exp_id)
    report.reattached = sum(1 for e in events if e.kind == "trial_reattached")
    report.requeued = sum(1 for e in events if e.kind == "trial_requeued")
    report.recovered_succeeded = sum(
        1 for e in events if e.kind == "trial_end" and "manager was down" in str(e.data.get("message", "")))
    report.trials = len(previous.trials)
    report.metrics = len(previous.metrics)
    return report


def _died_or_ended(lab: Lab, exp_id: str, pid: int, launched: float, max_trials: int, release: Path) -> bool:
    if not pid_alive(pid) or lab.ended_since(exp_id, launched):
        return True
    return _release_when_budget_spent(lab, exp_id, max_trials, release)


def _release_when_budget_spent(lab: Lab, exp_id: str, max_trials: int, release: Path) -> bool:
    """Free the anchor once every other trial exists and ended: the plans left cannot fire any more."""
    with lab.store(exp_id) as store:
        trials = store.list_trials()
    if len(trials) == max_trials and all(t.status.is_finished for t in trials if t.sequence != 0):
        release.touch()
    return False


def check_preserved(before: Snapshot | None, after: Snapshot) -> None:
    """Nothing finished or stored before a crash changed or disappeared after it."""
    if before is None:
        return
    for trial_id, outcome in before.finished.items():
        assert after.finished.get(trial_id) == outcome, f"finished trial {trial_id} changed: {outcome}"
    for key, value in before.metrics.items():
        assert after.metrics.get(key) == value, f"stored metric {key} changed or vanished"
    for trial_id, trial in before.trials.items():
        assert after.trials[trial_id].parameters == trial.parameters, f"trial {trial_id} changed parameters"


def check_budget(snapshot: Snapshot, max_trials: int) -> None:
    algorithm = [t for t in snapshot.trials.values() if t.source == TrialSource.ALGORITHM]
    assert len(algorithm) <= max_trials, f"{len(algorithm)} algorithm trials for maxTrialNumber {max_trials}"


def check_final(lab: Lab, exp_id: str, snapshot: Snapshot, max_trials: int) -> None:
    trials = list(snapshot.trials.values())
    assert len(trials) == max_trials, f"expected {max_trials} trials, got {len(trials)}"
    assert len({t.sequence for t in trials}) == len(trials), "duplicate trial sequence numbers"
    params = [tuple(sorted(t.parameters.items())) for t in trials]
    assert len(set(params)) == len(params), "the resumed tuner proposed a configuration twice"
    for trial in trials:
        assert trial.status == TrialState.SUCCEEDED, f"{trial.id}: {trial.status.value} ({trial.message})"
        x = trial.parameters["x"]
        assert trial.final is not None, trial.id
        assert math.isclose(trial.final, x * 100), (trial.id, trial.final, x)
        curve = [(m.sequence, m.value) for m in lab.metrics_of(exp_id, trial.id)
                 if m.kind.value == "PERIODICAL"]
        steps = len(curve) if trial.sequence == 0 else STEPS
        assert [s for s, _ in curve] == list(range(steps)), f"{trial.id}: intermediate sequences {curve}"
        for seq, value in curve:
            assert math.isclose(value, x * (seq + 1)), (trial.id, seq, value)
        assert trial.intermediate_count == steps, (trial.id, trial.intermediate_count)
    check_history_on_resume(lab, exp_id)
    assert lab.leaked() == [], f"processes survived the experiment: {lab.leaked()}"


def check_history_on_resume(lab: Lab, exp_id: str) -> None:
    """Each resumed manager gave its tuner every trial finished before it (the ``resumed`` event's count)."""
    ended: set[str] = set()
    resumes = 0
    for event in lab.events(exp_id):
        if event.kind == "trial_end":
            ended.add(str(event.trial_id))
        elif event.kind == "resumed":
            resumes += 1
            assert event.data["finished"] == len(ended), (
                f"resume {resumes}: tuner history had {event.data['finished']} finished trials, "
                f"the database {len(ended)}")
