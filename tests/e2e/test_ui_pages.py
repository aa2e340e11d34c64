"""The web UI in a real browser against a real experiment (see conftest.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import XSS, LiveExperiment, screenshot

pytestmark = pytest.mark.browser


def test_overview_shows_the_best_metric(live: LiveExperiment, page: Any) -> None:
    overview = live.settled()
    page.goto(live.url)
    best = page.get_by_test_id("best-value")
    expected = overview["best"]["final"]
    page.wait_for_function("() => document.querySelector('[data-testid=best-value]')?.textContent !== '—'")
    assert abs(float(best.text_content()) - expected) < 1e-5
    assert page.get_by_test_id("experiment-name").text_content() == "ui <b>e2e</b>"
    page.get_by_test_id("history-chart").locator("canvas").first.wait_for()
    screenshot(page, "overview")


def test_sorting_by_metric_puts_the_best_first(live: LiveExperiment, page: Any) -> None:
    overview = live.settled()
    page.goto(f"{live.url}#/trials")
    page.get_by_test_id("trials-table").wait_for()
    page.locator("th[data-col=final]").click()
    page.wait_for_function("() => document.querySelector('th[data-col=final]')?.textContent?.includes('▼')")
    first = page.locator("[data-testid=trials-table] tbody tr").first
    assert first.get_attribute("data-trial") == overview["best"]["id"]
    page.locator("[data-testid=trials-chart] canvas").first.wait_for()
    screenshot(page, "trials")


def test_failed_trial_stderr_is_readable_from_its_row(live: LiveExperiment, page: Any) -> None:
    live.settled()
    page.goto(f"{live.url}#/trials?filter=status:FAILED")
    row = page.locator("[data-testid=trials-table] tbody tr[data-trial]").first
    row.get_by_test_id("show-stderr").click()
    log = page.get_by_test_id("row-stderr").first
    page.wait_for_function("() => document.querySelector('[data-testid=row-stderr]')?.textContent?.includes('planned failure')")
    assert "ValueError: planned failure" in log.text_content()
    screenshot(page, "trials-failed-stderr")


def test_trial_detail_shows_parameters_logs_and_chart(live: LiveExperiment, page: Any) -> None:
    overview = live.settled()
    best = overview["best"]
    page.goto(f"{live.url}#/trials/{best['id']}")
    assert page.get_by_test_id("trial-id").text_content() == best["id"]
    assert '"x"' in page.get_by_test_id("trial-params").text_content()
    page.get_by_test_id("trial-chart").locator("canvas").first.wait_for()
    screenshot(page, "trial-detail")


def test_xss_payload_in_a_choice_value_stays_text(live: LiveExperiment, page: Any) -> None:
    live.settled()
    live.api.post("/trials", json={"parameters": {"x": 0.01, "kind": XSS}})
    page.goto(f"{live.url}#/trials?filter=kind%3D%22{XSS.replace(' ', '%20')}%22")
    page.goto(f"{live.url}#/trials")
    page.get_by_test_id("trials-table").wait_for()
    page.wait_for_function(f"() => document.body.innerText.includes({XSS!r})")
    assert page.locator("img").count() == 0
    assert page.evaluate("() => window.__xss === undefined")
    page.goto(f"{live.url}#/")
    page.get_by_test_id("best-value").wait_for()
    assert page.locator("main img").count() == 0
    assert not [d for d in page.dialogs if "alert" in d or d.startswith("alert")]
    screenshot(page, "xss-as-text")


def test_editing_concurrency_takes_effect(live: LiveExperiment, page: Any) -> None:
    page.goto(live.url)
    field = page.get_by_test_id("edit-concurrency")
    field.wait_for()
    field.fill("3")
    page.get_by_test_id("save-budget").click()
    live.wait_for(lambda: live.api.get("/experiment").json()["config"]["trialConcurrency"] == 3, "concurrency 3")
    page.wait_for_function("() => document.querySelector('[data-testid=edit-concurrency]')?.value === '3'")


def test_adding_a_customized_trial_runs_it(live: LiveExperiment, page: Any) -> None:
    live.settled()
    page.goto(f"{live.url}#/trials")
    page.get_by_test_id("add-custom").click()
    page.get_by_test_id("custom-params").fill('{"x": 0.123, "kind": "ok"}')
    page.get_by_test_id("custom-submit").click()
    trial = live.wait_for(
        lambda: next((t for t in live.api.get("/trials", params={"filter": "x=0.123"}).json()["trials"]
                      if t["status"] == "SUCCEEDED"), None), "the customized trial to succeed")
    assert trial["source"] == "customized"
    page.locator(f"tr[data-trial='{trial['id']}']").wait_for()


def test_killing_a_running_trial_from_the_ui_ends_it(live: LiveExperiment, page: Any) -> None:
    trial = live.api.post("/trials", json={"parameters": {"x": 0.5, "kind": "ok", "steps": 100000, "sleep": 0.05}}).json()["trial"]
    live.wait_for(lambda: live.api.get(f"/trials/{trial['id']}").json()["status"] == "RUNNING", "the trial to run")
    page.goto(f"{live.url}#/trials")
    row = page.locator(f"tr[data-trial='{trial['id']}']")
    row.get_by_test_id("kill-trial").click()
    live.wait_for(lambda: live.api.get(f"/trials/{trial['id']}").json()["status"] == "USER_CANCELED", "the kill")
    page.wait_for_function(
        f"() => document.querySelector(\"tr[data-trial='{trial['id']}'] [data-testid=status]\")?.textContent === 'USER_CANCELED'")


def test_compare_and_experiments_pages(live: LiveExperiment, page: Any) -> None:
    live.settled()
    ids = [t["id"] for t in live.api.get("/trials", params={"filter": "status:SUCCEEDED", "limit": 3}).json()["trials"]]
    page.goto(f"{live.url}#/trials")
    for trial_id in ids:
        page.locator(f"tr[data-trial='{trial_id}'] input[type=checkbox]").check()
    page.get_by_test_id("compare-selected").click()
    page.get_by_test_id("compare-table").wait_for()
    assert re.search(r"#/compare\?trials=", page.url)
    page.get_by_test_id("compare-chart").locator("canvas").first.wait_for()
    screenshot(page, "compare")
    page.goto(f"{live.url}#/experiments")
    table = page.get_by_test_id("experiments-table")
    table.wait_for()
    assert live.experiment_id in table.text_content()
    screenshot(page, "experiments")


@pytest.mark.parametrize("tab", ["parallel", "curves", "durations", "slice", "importance"])
def test_chart_tabs_render(live: LiveExperiment, page: Any, tab: str) -> None:
    live.settled()
    page.goto(f"{live.url}#/trials")
    page.get_by_test_id("trials-table").wait_for()
    page.locator(f"button[data-tab={tab}]").click()
    page.locator("[data-testid=trials-chart] canvas").first.wait_for()
    page.wait_for_timeout(300)  # let the chart finish its first frame before the screenshot
    screenshot(page, f"chart-{tab}")


def test_failed_trials_show_a_warning_panel_and_a_failed_column(live: LiveExperiment, page: Any) -> None:
    overview = live.settled()
    failures = overview["failures"]
    failed = overview["counts"]["FAILED"]
    assert failures["failed"] == failed > 0
    page.goto(live.url)
    panel = page.get_by_test_id("failures")
    panel.wait_for()
    text = panel.text_content()
    assert f"{failed} of {sum(overview['counts'].values())} trials failed" in text
    assert "ValueError: planned failure for the UI test" in text
    assert f"tunelab log {live.experiment_id} -T {failures['trial_id']} --stderr" in text
    screenshot(page, "overview-failures")
    page.goto(f"{live.url}#/experiments")
    page.get_by_test_id("experiments-table").wait_for()
    headers = page.locator("[data-testid=experiments-table] th").all_text_contents()
    assert "failed" in headers
    # Its own row: other experiments may share the home directory (test_ui_open_stopped adds one).
    row = page.locator(f"[data-testid=experiments-table] tr[data-experiment={live.experiment_id}]")
    assert row.get_by_test_id("failed-count").text_content() == str(failed)


def test_the_manager_log_page_is_linked_from_the_nav(live: LiveExperiment, page: Any) -> None:
    live.settled()
    page.goto(live.url)
    page.locator("nav a[data-nav=log]").click()
    page.wait_for_function("() => document.querySelector('[data-testid=manager-log]')?.textContent?.includes('experiment uie2e created')")
    text = page.get_by_test_id("manager-log").text_content()
    assert "RUNNING" in text
    assert "FAILED: " in text
    screenshot(page, "manager-log")
