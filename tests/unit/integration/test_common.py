"""The shared reporter and the plain-script signal, without any framework."""

from __future__ import annotations

import pytest

import tunelab
from tunelab.base import InvalidInputError
from tunelab.integration._common import MetricReporter


def test_should_stop_turns_true_on_sigterm_once_asked(trial) -> None:
    assert tunelab.should_stop() is False  # installs the handler
    trial.stop_now()  # without the handler this would end the test process
    assert tunelab.should_stop() is True


@pytest.mark.parametrize(("final", "mode", "expected"), [("last", "max", 0.5), ("best", "max", 0.9),
                                                         ("best", "min", 0.1)])
def test_final_is_the_last_or_the_best(trial, final: str, mode: str, expected: float) -> None:
    reporter = MetricReporter("acc", final=final, mode=mode)
    for value in (0.1, 0.9, 0.5):
        reporter.report(value)
    reporter.report_final()
    reporter.report_final()  # once only
    assert trial.intermediates() == [0.1, 0.9, 0.5]
    assert trial.finals() == [expected]


@pytest.mark.parametrize(("kwargs", "field"), [({"monitor": ""}, "monitor"), ({"final": "first"}, "final"),
                                               ({"mode": "up"}, "mode")])
def test_bad_arguments_name_the_field(trial, kwargs: dict, field: str) -> None:
    args = {"monitor": "acc", **kwargs}
    with pytest.raises(InvalidInputError, match=rf"^{field}: "):
        MetricReporter(**args)
