"""The manager survives SIGKILL at any moment: resume finishes the experiment and nothing is lost."""

from __future__ import annotations

import os

import pytest

from .crash import random_plans, run_with_kills
from .harness import Lab

# One kill at each kind of moment, plus a random one: the CI-size run.
CI_PLANS = ["after_spawn:2", "metric_write:6", "random:1.5", "trial_end_write:1", "metric_ingest:10",
            "before_spawn:2"]


def test_manager_killed_at_each_fault_point_resumes_without_loss(lab: Lab) -> None:
    report = run_with_kills(lab, CI_PLANS, max_trials=14)  # room for every plan to fire
    print(f"\ncrash-resume (CI): {report}")
    assert report.kills == len(CI_PLANS), report
    assert report.reattached >= 1, report


@pytest.mark.slow
def test_manager_survives_24_kills(lab: Lab) -> None:
    seed = int(os.environ.get("TUNELAB_CRASH_SEED", "20240"))
    report = run_with_kills(lab, random_plans(24, seed), max_trials=50, concurrency=3)
    print(f"\ncrash-resume (seed {seed}): {report}")
    assert report.kills >= 20, report
    assert report.reattached >= 1, report
    from tunelab.manager._faults import POINTS

    assert {plan.split(":")[0] for plan in report.plans} >= set(POINTS), report.plans
