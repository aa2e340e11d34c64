"""An NNI trial that SUCCEEDED with a NaN or infinite final is imported FAILED, as tunelab would have
ended it (docs/json.md); its values are kept."""

from __future__ import annotations

import math

import pytest

from tunelab.compat._nni_dir import NniMetric, NniTrial
from tunelab.compat._nni_import import _trial
from tunelab.trial import TrialState


@pytest.mark.parametrize(("final", "marker"), [(math.nan, "NaN"), ({"default": math.inf}, "Infinity"),
                                               ("-Infinity", "-Infinity")])
def test_a_non_finite_nni_final_imports_failed(final: object, marker: str) -> None:
    nni_trial = NniTrial(id="a", sequence=0, status="SUCCEEDED", metrics=[
        NniMetric("PERIODICAL", 0, math.nan, 1.0), NniMetric("FINAL", 0, final, 2.0)])
    trial = _trial(nni_trial)
    assert trial.status == TrialState.FAILED
    assert trial.message == f"final metric is {marker}: report a finite number"


def test_finite_and_failed_nni_trials_keep_their_state() -> None:
    ok = NniTrial(id="b", status="SUCCEEDED", metrics=[NniMetric("PERIODICAL", 0, math.nan, 1.0),
                                                       NniMetric("FINAL", 0, 0.5, 2.0)])
    assert _trial(ok).status == TrialState.SUCCEEDED
    failed = NniTrial(id="c", status="FAILED", message="boom", metrics=[NniMetric("FINAL", 0, math.nan, 2.0)])
    assert (_trial(failed).status, _trial(failed).message) == (TrialState.FAILED, "boom")
