"""Deterministic crash points for fault-injection tests (``TUNELAB_FAULT``), inert in normal use.

``TUNELAB_FAULT=<point>:<n>`` makes the manager process die with ``os._exit(137)`` (what SIGKILL looks
like to a parent) the ``n``-th time execution reaches ``<point>``; several plans are separated by commas.
``os._exit`` skips every cleanup, as a ``kill -9`` would: open transactions are abandoned, buffers are
not flushed, the lock is dropped by the kernel. The reliability tests use it to crash the manager
exactly during a spawn, a metric write or a tuner step, which random-time kills only hit by luck.

When the variable is unset, :func:`fault_point` is one dictionary lookup on an empty dict.
"""

from __future__ import annotations

import os

FAULT_ENV = "TUNELAB_FAULT"
EXIT_CODE = 137

#: The named points, in the order a trial meets them. Kept here so a test can iterate over them and a
#: typo in ``TUNELAB_FAULT`` is refused instead of silently never firing.
POINTS = (
    "tuner_step",  # the tuner proposed parameters; the trial is not stored yet
    "before_spawn",  # the trial is RUNNING in the database; its process does not exist yet
    "after_spawn",  # the process runs; its pid is not stored yet
    "metric_ingest",  # a metric arrived on the channel; it is only in memory
    "metric_write",  # inside the transaction that stores a batch of metrics (not committed)
    "trial_end_write",  # inside the transaction that ends a trial (not committed)
)


def _parse(spec: str) -> dict[str, int]:
    plan: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, count = part.partition(":")
        if name not in POINTS:
            raise ValueError(f"{FAULT_ENV}: unknown fault point {name!r}; known points: {', '.join(POINTS)}")
        try:
            plan[name] = int(count or "1")
        except ValueError:
            raise ValueError(f"{FAULT_ENV}: {part!r} needs <point>:<count> with an integer count") from None
    return plan


_plan: dict[str, int] = _parse(os.environ.get(FAULT_ENV, ""))


def fault_point(name: str) -> None:
    """Die here, like ``kill -9``, when the fault plan says this is the moment."""
    remaining = _plan.get(name)
    if remaining is None:
        return
    remaining -= 1
    _plan[name] = remaining
    if remaining <= 0:
        os._exit(EXIT_CODE)


def reset(spec: str = "") -> None:
    """Replace the plan (tests in one process); an empty spec disarms every point."""
    _plan.clear()
    _plan.update(_parse(spec))
