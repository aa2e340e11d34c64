"""trialCodeDirectory must exist for local trials; on Dask it must exist on the workers, so only a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunelab.base import ConfigError
from tunelab.config import ConfigWarning, parse_config

BASE = {
    "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
    "trialCommand": "python3 train.py",
    "trialConcurrency": 1,
    "tuner": {"name": "Random"},
}


def test_missing_code_directory_is_an_error_for_local_trials(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="trialCodeDirectory: directory not found"):
        parse_config({**BASE, "trialCodeDirectory": str(tmp_path / "nope"),
                      "trainingService": {"platform": "local"}})


def test_missing_code_directory_only_warns_for_dask(tmp_path: Path) -> None:
    with pytest.warns(ConfigWarning, match="(?i)every dask worker must have it"):
        config = parse_config({**BASE, "trialCodeDirectory": str(tmp_path / "on-workers-only"),
                               "trainingService": {"platform": "dask", "schedulerAddress": "tcp://127.0.0.1:8786"}})
    assert str(config.trial_code_directory).endswith("on-workers-only")
