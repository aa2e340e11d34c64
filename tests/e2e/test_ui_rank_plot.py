"""The rank plot tab (optuna-dashboard's): parameter pairs, or a parameter against the final value, each
trial's point coloured by the rank of its final value. See conftest.py for the fixtures."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import LiveExperiment, screenshot
from .test_ui_second_pass import CHART_OPTION, NO_SIDE_SCROLL, PHONE, _chart_option, _hash_query

pytestmark = pytest.mark.browser


def _expected_ranks(live: LiveExperiment, mode: str) -> dict[str, int]:
    """Ranks from the trials API, computed here independently of tunelab.analysis."""
    scored = [t for t in live.api.get("/trials", params={"limit": 500}).json()["trials"] if isinstance(t["final"], float)]
    better = (lambda a, b: a > b) if mode == "maximize" else (lambda a, b: a < b)
    return {t["id"]: 1 + sum(1 for o in scored if better(o["final"], t["final"])) for t in scored}


def test_the_rank_plot_colours_each_trial_by_the_rank_of_its_final_value(live: LiveExperiment, page: Any) -> None:
    overview = live.settled()
    expected = _expected_ranks(live, overview["optimize_mode"])
    page.goto(f"{live.url}#/trials?tab=rank")
    page.get_by_test_id("rank-y").wait_for()
    # Two parameters (x, kind): the first pair by default.
    assert page.get_by_test_id("rank-x").input_value() == "x"
    assert page.get_by_test_id("rank-y").input_value() == "kind"
    option = _chart_option(page)
    points = option["series"][0]["data"]
    assert {p[3]: p[2] for p in points} == expected
    assert option["yAxis"][0]["type"] == "category"
    assert option["visualMap"][0]["min"] == 1
    assert option["visualMap"][0]["max"] == len(expected)
    by_id = {t["id"]: t for t in live.api.get("/trials", params={"limit": 500}).json()["trials"]}
    assert all(p[0] == by_id[p[3]]["parameters"]["x"] for p in points)
    screenshot(page, "desktop-light-chart-rank")

    # A parameter against the final value; the choice is kept in the address.
    page.get_by_test_id("rank-y").select_option("final")
    page.wait_for_function(f"async () => (await ({CHART_OPTION})('[data-testid=trials-chart]'))?.yAxis?.[0]?.type === 'value'")
    points = _chart_option(page)["series"][0]["data"]
    assert all(p[1] == by_id[p[3]]["final"] for p in points)
    assert _hash_query(page)["ry"] == ["final"]
    page.reload()
    page.get_by_test_id("rank-y").wait_for()
    assert page.get_by_test_id("rank-y").input_value() == "final"
    best = min(points, key=lambda p: p[2])
    assert best[3] == overview["best"]["id"]


def test_the_rank_plot_fits_a_phone(live: LiveExperiment, open_page: Any) -> None:
    live.settled()
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{live.url}#/trials?tab=rank")
    _chart_option(page)
    page.wait_for_timeout(300)
    assert page.evaluate(NO_SIDE_SCROLL)
    screenshot(page, "phone-light-chart-rank")
