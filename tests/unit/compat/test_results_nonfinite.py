"""The importer refuses NaN and infinities (in metrics and parameters) with a message naming the record."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tunelab.base import InvalidInputError
from tunelab.compat import load_results, parse_results_csv, parse_results_json


@pytest.mark.parametrize(("value", "shown"), [
    (math.nan, "NaN"), (math.inf, "Infinity"), ("-Infinity", "-Infinity"), ("NaN", "NaN"), ('"Infinity"', "Infinity"),
    ({"default": 0.5, "loss": math.inf}, "Infinity"), ({"default": "NaN"}, "NaN"),
])
def test_non_finite_metric_values_are_refused(value: object, shown: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_results_json([{"parameter": {"lr": 0.1}, "value": 0.5}, {"parameter": {"lr": 0.2}, "value": value}])
    assert info.value.message.startswith("results[1].value: ")
    assert f"{shown} is not a finite number" in info.value.message
    assert "remove the record or give a finite value" in info.value.message


@pytest.mark.parametrize("parameter", [{"lr": math.nan}, {"opt": {"_name": "sgd", "m": math.inf}}, {"lr": "NaN"}])
def test_non_finite_parameters_are_refused(parameter: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError, match=r"results\[0\]\.parameter: .* is not a finite number"):
        parse_results_json([{"parameter": parameter, "value": 0.5}])


def test_bare_literals_in_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text('[{"parameter": {"lr": 0.1}, "value": Infinity}]')
    with pytest.raises(InvalidInputError, match="value: Infinity is not a finite number"):
        load_results(path)
    csv = tmp_path / "results.csv"
    csv.write_text("lr,reward,trialJobId\n0.1,NaN,a\n")
    with pytest.raises(InvalidInputError, match=r"results\.csv:2: NaN is not a finite number"):
        load_results(csv, ["lr"])


def test_finite_values_still_import() -> None:
    records = parse_results_json([{"parameter": {"lr": 1e308}, "value": {"default": -1e308, "loss": 0}}])
    assert records[0].value == {"default": -1e308, "loss": 0}
    rows = parse_results_csv("lr,reward,trialJobId\n0.1,0.5,a\n", ["lr"])
    assert rows[0].value == 0.5
