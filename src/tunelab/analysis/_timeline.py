"""Trial durations: a timeline of start/end bars and a histogram of durations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tunelab.trial import Trial

HISTOGRAM_BINS = 20


def timeline(trials: Sequence[Trial], *, now: float, max_rows: int = 2000) -> dict[str, Any]:
    """Columns of started trials (``start``, ``end``; a running trial ends at ``now``), the latest
    ``max_rows`` by start time, and a histogram of the durations of every ended trial."""
    started = sorted((t for t in trials if t.started_at is not None), key=lambda t: (t.started_at, t.sequence))
    shown = started[-max_rows:] if max_rows else []
    durations = [d for t in trials if (d := t.duration) is not None]
    return {
        "total": len(started),
        "sampled": len(shown) < len(started),
        "trial_id": [t.id for t in shown],
        "sequence": [t.sequence for t in shown],
        "status": [t.status.value for t in shown],
        "start": [t.started_at for t in shown],
        "end": [t.ended_at if t.ended_at is not None else now for t in shown],
        "histogram": duration_histogram(durations),
    }


def duration_histogram(durations: Sequence[float], bins: int = HISTOGRAM_BINS) -> dict[str, Any]:
    """Equal-width bins from the shortest to the longest duration: ``edges`` (bins + 1) and ``counts``."""
    if not durations:
        return {"edges": [], "counts": []}
    low, high = min(durations), max(durations)
    if high <= low:
        return {"edges": [low, low], "counts": [len(durations)]}
    width = (high - low) / bins
    counts = [0] * bins
    for d in durations:
        counts[min(bins - 1, int((d - low) / width))] += 1
    return {"edges": [low + i * width for i in range(bins + 1)], "counts": counts}
