"""Observers follow the manager's feed: every change in order, then one close after the loop ended."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tunelab.base import env as _env
from tunelab.trial import ExperimentStatus

from .fakes import Script
from .test_manager_loop import make_manager, run


class Recorder:
    def __init__(self, fail_close: bool = False) -> None:
        self.changes: list[dict[str, Any]] = []
        self.closed_after: int | None = None
        self._fail_close = fail_close

    def on_change(self, change: dict[str, Any]) -> None:
        self.changes.append(change)

    def close(self) -> None:
        self.closed_after = len(self.changes)
        if self._fail_close:
            raise RuntimeError("observer broke")


def test_an_observer_sees_every_trial_and_metric_then_is_closed(tmp_path: Path) -> None:
    recorder, broken = Recorder(), Recorder(fail_close=True)
    manager, _, store = make_manager(tmp_path, lambda p: Script(intermediates=[0.1, 0.2], final=p["x"]),
                                     maxTrialNumber=3)
    manager._observers = [broken, recorder]
    for observer in manager._observers:
        manager.feed.listen(observer.on_change)
    assert run(manager) == ExperimentStatus.DONE  # a failing close() does not change the outcome
    assert recorder.closed_after == len(recorder.changes)
    seqs = [c["seq"] for c in recorder.changes]
    assert seqs == sorted(seqs) == list(range(1, len(seqs) + 1))  # nothing skipped, no resync
    ended = {c["trial"]["id"]: c["trial"] for c in recorder.changes
             if c["type"] == "trial" and c["trial"]["status"] == "SUCCEEDED"}
    assert set(ended) == {t.id for t in store.list_trials()}
    steps = sorted((m["trial_id"], m["sequence"]) for c in recorder.changes if c["type"] == "metrics"
                   for m in c["metrics"] if m["kind"] == "PERIODICAL")
    assert steps == sorted((tid, s) for tid in ended for s in (0, 1))
    assert recorder.changes[-1] == {"type": "experiment", "status": "DONE", "error": None,
                                    "seq": recorder.changes[-1]["seq"]}


def test_each_trial_gets_a_made_tensorboard_folder_in_its_output_dir(tmp_path: Path) -> None:
    manager, runner, _ = make_manager(tmp_path, lambda p: Script(final=p["x"]), maxTrialNumber=1)
    run(manager)
    (launch,) = runner.started
    folder = Path(launch.env[_env.TENSORBOARD_DIR])
    assert folder == Path(launch.env["NNI_OUTPUT_DIR"]) / "tensorboard" == launch.trial_dir / "tensorboard"
    assert folder.is_dir()
