"""Load, short version of benchmarks/load.py: 8 trials x 1,000 intermediate results/s x 3 s."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .harness import free_port

LOAD = Path(__file__).resolve().parents[2] / "benchmarks" / "load.py"


def test_every_value_of_eight_fast_reporters_is_stored_and_seen_live() -> None:
    result = subprocess.run(
        [sys.executable, str(LOAD), "--seconds", "3", "--json", "--port", str(free_port())],
        capture_output=True, text=True, timeout=240, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"\nload: { {k: v for k, v in figures.items() if k != 'manager_rss_mib'} }")
    assert figures["values_sent"] == 24_000
    assert figures["values_stored"] == figures["values_sent"]
    assert figures["finals_stored"] == 8
    assert figures["trial_states"] == ["SUCCEEDED"]
    # The UI's live feed got every value (no resync needed, no gap in its change sequence).
    assert figures["live_values_received"] == figures["values_sent"]
    assert figures["live_resyncs"] == 0
    assert figures["live_seq_gaps"] == 0
