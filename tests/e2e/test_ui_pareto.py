"""The web UI of a multi-objective experiment (issue 12): the overview's Pareto-front card, the trials
page's Pareto chart tab, objective columns and the history per objective. A real two-objective
experiment (accuracy up, cost down, memory_mb bounded) run by the real CLI; see conftest.py for the
browser fixtures."""

from __future__ import annotations

import json
import sys
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import CHROMIUM, LiveExperiment, created_experiment, screenshot
from .test_ui_second_pass import CHART_OPTION, DESKTOP, NO_SIDE_SCROLL, PHONE, _hash_query

pytestmark = pytest.mark.browser

# Accuracy grows with width and depth, so does cost; memory_mb <= 120 rules out the wide deep ones.
TRIAL = textwrap.dedent("""
    from tunelab.trial_api import get_next_parameter, report_final_result, report_intermediate_result
    p = get_next_parameter()
    w, d = p["width"], p["depth"]
    report_intermediate_result({"accuracy": 0.5 * w})
    report_final_result({"accuracy": round(0.8 * w + 0.05 * d, 4), "cost": round(10 * w * d, 3),
                         "memory_mb": round(100 * w * d, 2)})
""")
TRIALS = 10
SELECTOR = "[data-testid=pareto-chart]"


@pytest.fixture(scope="module")
def mo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveExperiment]:
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian chromium at /usr/bin/chromium")
    directory = tmp_path_factory.mktemp("e2e-mo")
    (directory / "trial.py").write_text(TRIAL)
    config = {
        "experimentName": "accuracy <i>vs</i> cost",
        "searchSpace": {
            "width": {"_type": "uniform", "_value": [0, 1]},
            "depth": {"_type": "choice", "_value": [1, 2, 3]},
        },
        "trialCommand": f"{sys.executable} trial.py",
        "trialCodeDirectory": str(directory),
        "trialConcurrency": 2,
        "maxTrialNumber": TRIALS,
        "tuner": {"name": "Random", "classArgs": {"seed": 5}},
        "objectives": [
            {"name": "accuracy", "mode": "maximize"},
            {"name": "cost", "mode": "minimize"},
            {"name": "memory_mb", "constraint": "<= 120"},
        ],
        "trainingService": {"platform": "local"},
    }
    (directory / "config.json").write_text(json.dumps(config))
    with created_experiment(directory / "config.json", directory / "home", "uimo") as experiment:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            counts = experiment.api.get("/experiment").json()["counts"]
            if (
                counts["SUCCEEDED"] + counts["FAILED"] >= TRIALS
                and counts["RUNNING"] == counts["WAITING"] == 0
            ):
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the multi-objective experiment did not finish its {TRIALS} trials: {counts}")
        yield experiment


def _option(page: Any, selector: str) -> Any:
    page.locator(f"{selector} canvas").first.wait_for()
    return page.wait_for_function(f"({CHART_OPTION})({selector!r})").json_value()


def _series(option: dict[str, Any]) -> dict[str, list[Any]]:
    return {s["name"]: s["data"] for s in option["series"]}


def test_the_overview_lists_exactly_the_pareto_front(mo: LiveExperiment, page: Any) -> None:
    pareto = mo.api.get("/pareto").json()
    # A real trade-off: several trials on the front, some dominated or infeasible.
    assert 2 <= len(pareto["front"]) < TRIALS, pareto
    assert pareto["infeasible"] > 0, pareto
    page.goto(mo.url)
    page.get_by_test_id("pareto-card").wait_for()
    assert page.get_by_test_id("pareto-count").text_content() == str(len(pareto["front"]))
    rows = page.locator("[data-testid=pareto-front] tbody tr")
    assert [r.get_attribute("data-trial") for r in rows.all()] == [p["trial_id"] for p in pareto["front"]]
    heads = [th.text_content() for th in page.locator("[data-testid=pareto-front] thead th").all()]
    assert heads == ["trial", "accuracy ↑", "cost ↓", "feasible"]
    for row, point in zip(rows.all(), pareto["front"], strict=True):
        cells = [td.text_content() for td in row.locator("td").all()]
        assert cells[0] == f"{point['trial_id']} #{point['sequence_id']}"
        assert float(cells[1]) == pytest.approx(point["values"]["accuracy"], rel=1e-4)
        assert float(cells[2]) == pytest.approx(point["values"]["cost"], rel=1e-4)
        assert cells[3] == ("✓ yes" if point["feasible"] else "✗ no")
    # No single "best" card for several objectives.
    assert page.get_by_test_id("best-value").count() == 0


def test_the_pareto_chart_draws_front_dominated_and_infeasible_and_keeps_its_axes(
    mo: LiveExperiment, page: Any
) -> None:
    pareto = mo.api.get("/pareto", params={"points": "true"}).json()
    points = pareto["points"]
    page.goto(f"{mo.url}#/trials?tab=pareto")
    page.get_by_test_id("pareto-x").wait_for()
    assert page.get_by_test_id("pareto-x").input_value() == "accuracy"
    assert page.get_by_test_id("pareto-y").input_value() == "cost"
    option = _option(page, SELECTOR)
    series = _series(option)
    assert {p[2] for p in series["Pareto front"]} == {p["trial_id"] for p in pareto["front"]}
    assert len(series["dominated"]) == sum(1 for p in points if p["feasible"] and not p["on_front"])
    assert len(series["infeasible"]) == sum(1 for p in points if not p["feasible"] and not p["on_front"])
    assert len(series["Pareto front"]) + len(series["dominated"]) + len(series["infeasible"]) == len(points)
    by_id = {p["trial_id"]: p for p in points}
    assert all(
        d[0] == by_id[d[2]]["values"]["accuracy"] and d[1] == by_id[d[2]]["values"]["cost"]
        for d in series["Pareto front"]
    )
    # With two objectives the staircase joins every front trial, x ascending; accuracy is maximised, so
    # the line leaves each point vertically ("start").
    line = next(s for s in option["series"] if s["name"] == "Pareto front line")
    assert [d[2] for d in line["data"]] == [
        p["trial_id"] for p in sorted(pareto["front"], key=lambda p: p["values"]["accuracy"])
    ]
    assert line["step"] == "start"
    assert next(s for s in option["series"] if s["name"] == "infeasible")["symbol"] == "emptyCircle"
    assert option["xAxis"][0]["name"] == "accuracy (→ better)"
    assert option["yAxis"][0]["name"] == "cost (↓ better)"
    assert set(option["legend"][0]["data"]) == {"Pareto front", "dominated", "infeasible"}
    screenshot(page, "desktop-light-chart-pareto")

    # Swap the axes; the choice survives a reload through the address.
    page.get_by_test_id("pareto-x").select_option("cost")
    page.get_by_test_id("pareto-y").select_option("accuracy")
    page.wait_for_function(
        f"async () => (await ({CHART_OPTION})({SELECTOR!r}))?.xAxis?.[0]?.name === 'cost (← better)'"
    )
    assert _hash_query(page)["px"] == ["cost"]
    assert _hash_query(page)["py"] == ["accuracy"]
    page.reload()
    page.get_by_test_id("pareto-x").wait_for()
    assert page.get_by_test_id("pareto-x").input_value() == "cost"
    option = _option(page, SELECTOR)
    assert option["yAxis"][0]["name"] == "accuracy (↑ better)"
    assert all(d[0] == by_id[d[2]]["values"]["cost"] for d in _series(option)["Pareto front"])
    assert next(s for s in option["series"] if s["name"] == "Pareto front line")["step"] == "end"

    # A click on a front point opens its trial.
    target = pareto["front"][0]
    x, y = page.evaluate(f"""async () => {{
      const echarts = await import('/assets/vendor/echarts.esm.min.js');
      const chart = echarts.getInstanceByDom(document.querySelector({SELECTOR!r}));
      const series = chart.getOption().series.findIndex((s) => s.name === 'Pareto front');
      const point = chart.getOption().series[series].data.find((d) => d[2] === {target["trial_id"]!r});
      return chart.convertToPixel({{ seriesIndex: series }}, point.slice(0, 2));
    }}""")
    canvas = page.locator(f"{SELECTOR} canvas").first.bounding_box()
    assert canvas
    page.mouse.click(canvas["x"] + x, canvas["y"] + y)
    page.wait_for_function(f"() => location.hash === '#/trials/{target['trial_id']}'")


def test_the_table_shows_one_sortable_column_per_objective(mo: LiveExperiment, page: Any) -> None:
    trials = {t["id"]: t for t in mo.api.get("/trials", params={"limit": 100}).json()["trials"]}
    page.goto(f"{mo.url}#/trials")
    page.get_by_test_id("trials-table").wait_for()
    heads = [
        th.text_content().strip(" ▲▼") for th in page.locator("[data-testid=trials-table] thead th").all()
    ]
    start = heads.index("final")
    assert heads[start : start + 4] == ["final", "accuracy ↑", "cost ↓", "memory_mb <= 120"], heads
    for row in page.locator("[data-testid=trials-table] tbody tr").all():
        trial = trials[row.get_attribute("data-trial")]
        cost = row.locator("td[data-col='metric.cost']").text_content()
        assert float(cost) == pytest.approx(trial["final_data"]["cost"], rel=1e-4)
    # Cost is minimised: its first click sorts the cheapest first.
    page.locator("th[data-col='metric.cost'] button").click()
    page.wait_for_function("() => location.hash.includes('sort=metric.cost')")
    assert _hash_query(page)["order"] == ["asc"]
    first = page.locator("[data-testid=trials-table] tbody tr").first.get_attribute("data-trial")
    assert (
        first
        == min((t for t in trials.values() if t["final_data"]), key=lambda t: t["final_data"]["cost"])["id"]
    )


def test_the_history_chart_draws_the_chosen_objective(mo: LiveExperiment, page: Any) -> None:
    points = sorted(
        mo.api.get("/pareto", params={"points": "true"}).json()["points"], key=lambda p: p["sequence_id"]
    )
    page.goto(f"{mo.url}#/trials")
    page.get_by_test_id("history-objective").wait_for()
    assert page.get_by_test_id("history-objective").input_value() == "accuracy"
    option = _option(page, "[data-testid=trials-chart]")
    assert (
        option["yAxis"][0]["name"] == "final"
    )  # the primary keeps the server's history, as for one objective
    # ... whose best line, as the other objectives', counts only the trials meeting the constraint.
    feasible_best = max(p["values"]["accuracy"] for p in points if p["feasible"])
    assert max(p["values"]["accuracy"] for p in points) > feasible_best  # an infeasible trial leads overall
    assert _series(option)["best so far (feasible)"][-1][1] == feasible_best
    page.get_by_test_id("history-objective").select_option("cost")
    page.wait_for_function(
        f"async () => (await ({CHART_OPTION})('[data-testid=trials-chart]'))?.yAxis?.[0]?.name === 'cost'"
    )
    option = _option(page, "[data-testid=trials-chart]")
    assert _hash_query(page)["objective"] == ["cost"]
    series = _series(option)
    assert [d[1] for d in series["cost"]] == [p["values"]["cost"] for p in points]
    # Best so far of a minimised objective only goes down, over the trials that meet the constraint.
    best = [d[1] for d in series["best so far (feasible)"]]
    assert best == sorted(best, reverse=True)
    assert best[-1] == min(p["values"]["cost"] for p in points if p["feasible"])
    page.reload()
    page.get_by_test_id("history-objective").wait_for()
    assert page.get_by_test_id("history-objective").input_value() == "cost"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_multi_objective_pages_fit_and_follow_the_theme(
    mo: LiveExperiment, open_page: Any, scheme: str, size: str
) -> None:
    phone = size == "phone"
    page = open_page(
        viewport=PHONE if phone else DESKTOP,
        color_scheme=scheme,
        **({"is_mobile": True, "has_touch": True} if phone else {}),
    )
    for route, name, selector in (
        ("#/", "overview", "[data-testid=history-chart]"),
        ("#/trials?tab=pareto", "chart-pareto", SELECTOR),
        ("#/trials?objective=cost", "history-cost", "[data-testid=trials-chart]"),
    ):
        page.goto(mo.url + route)
        _option(page, selector)
        page.wait_for_timeout(300)
        assert page.evaluate("() => document.documentElement.dataset.theme") == scheme
        assert page.evaluate(NO_SIDE_SCROLL), f"{route} scrolls sideways at {PHONE if phone else DESKTOP}"
        screenshot(page, f"{size}-{scheme}-mo-{name}")


def test_a_single_objective_experiment_has_no_pareto_tab(live: LiveExperiment, page: Any) -> None:
    live.settled()
    page.goto(f"{live.url}#/trials?tab=pareto")
    page.get_by_test_id("trials-table").wait_for()
    assert page.locator("[data-tab=pareto]").count() == 0
    assert page.locator("[data-tab=history].active").count() == 1
    assert page.get_by_test_id("history-objective").count() == 0
    page.goto(live.url)
    page.get_by_test_id("best-value").wait_for()
    assert page.get_by_test_id("pareto-card").count() == 0


def test_the_pareto_pages_pass_the_accessibility_audit(mo: LiveExperiment, open_page: Any) -> None:
    pytest.importorskip("axe_playwright_python")
    from .test_ui_accessibility import _violations

    found: dict[str, list[str]] = {}
    for scheme, width in (("light", 1440), ("dark", 1440), ("light", 390), ("dark", 390)):
        page = open_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
        for route in ("#/", "#/trials?tab=pareto"):
            page.goto(mo.url + route)
            page.locator("main h1").wait_for()
            page.wait_for_timeout(500)
            if problems := _violations(page):
                found[f"{scheme} {width}px {route}"] = problems
    assert not found, "\n".join(f"{route}: {p}" for route, problems in found.items() for p in problems)
