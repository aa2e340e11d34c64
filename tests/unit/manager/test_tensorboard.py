"""Choosing trials for TensorBoard and building its command line (no TensorBoard needed)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tunelab.base import InvalidInputError, NotFoundError
from tunelab.manager import _tensorboard as tb

TRIALS = [{"id": "aaaaa", "sequence": 0}, {"id": "bbbbb", "sequence": 1}, {"id": "ccccc", "sequence": 2}]


def _write_events(exp: Path, trial_id: str) -> Path:
    folder = tb.tensorboard_dir(exp, trial_id)
    (folder / "train").mkdir(parents=True)
    (folder / "train" / "events.out.tfevents.1.host").write_bytes(b"\0")
    return folder


def test_argv_names_each_folder_in_logdir_spec_and_binds_loopback(tmp_path: Path) -> None:
    named = {"trial-0-aaaaa": tmp_path / "a", "trial-2-ccccc": tmp_path / "c"}
    assert tb.tensorboard_argv(named, port=6123) == [
        sys.executable, "-m", "tensorboard.main",
        "--logdir_spec", f"trial-0-aaaaa:{tmp_path / 'a'},trial-2-ccccc:{tmp_path / 'c'}",
        "--host", "127.0.0.1", "--port", "6123"]


def test_a_path_logdir_spec_cannot_carry_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"cannot carry a path with ',' or ':'; move TUNELAB_HOME"):
        tb.tensorboard_argv({"trial-0-a": tmp_path / "x,y"}, port=1)


def test_trials_are_chosen_by_number_or_id_in_the_order_given() -> None:
    assert [t["id"] for t in tb.select_trials(TRIALS, "2, aaaaa,2")] == ["ccccc", "aaaaa"]
    assert [t["id"] for t in tb.select_trials(list(reversed(TRIALS)), None)] == ["aaaaa", "bbbbb", "ccccc"]
    with pytest.raises(InvalidInputError, match=r"--trials: no trial '7' in this experiment \(it has trial numbers 0 to 2\)"):
        tb.select_trials(TRIALS, "0,7")


def test_only_trials_with_files_are_served_and_a_named_empty_one_is_an_error(tmp_path: Path) -> None:
    for trial in TRIALS:
        tb.tensorboard_dir(tmp_path, trial["id"]).mkdir(parents=True)  # the manager makes them all, empty
    folder = _write_events(tmp_path, "bbbbb")
    assert tb.trials_with_tensorboard(tmp_path, ["aaaaa", "bbbbb"]) == ["bbbbb"]
    assert tb.logdirs(tmp_path, TRIALS, explicit=False) == {"trial-1-bbbbb": folder}
    with pytest.raises(NotFoundError, match=r"--trials: trial 0 \(aaaaa\) wrote no TensorBoard files"):
        tb.logdirs(tmp_path, TRIALS[:2], explicit=True)
    with pytest.raises(NotFoundError, match=r"no trial of this experiment wrote TensorBoard files; .*TUNELAB_TENSORBOARD_DIR"):
        tb.logdirs(tmp_path, [TRIALS[0]], explicit=False)
