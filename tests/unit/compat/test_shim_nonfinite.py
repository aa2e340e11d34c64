"""The ``nni`` shim reports NaN and infinities as strict JSON, and ``nni.dump``/``nni.load`` round-trip them."""

from __future__ import annotations

import json
from pathlib import Path

from .test_shim import _run, _trial_env


def test_nni_reports_and_dump_use_the_one_encoding(tmp_path: Path) -> None:
    code = ("import math, nni; nni.report_intermediate_result({'default': math.nan, 'loss': math.inf}); "
            "text = nni.dump([math.nan, -math.inf, 1.5]); print(text); "
            "back = nni.load(text); print(math.isnan(back[0]), back[1] == -math.inf, back[2])")
    result = _run(code, tmp_path, _trial_env(tmp_path))
    assert result.returncode == 0, result.stderr
    dumped, loaded = result.stdout.splitlines()
    assert dumped == '["NaN", "-Infinity", 1.5]'
    assert loaded == "True True 1.5"

    def refuse(token: str) -> None:
        raise AssertionError(f"bare {token}")

    [line] = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert json.loads(line, parse_constant=refuse)["value"] == {"default": "NaN", "loss": "Infinity"}
