"""Issue 17: every chart tab on the trials page draws its chart or says in a sentence why it cannot, also
after a quick run over the tabs, with only failed trials, and when the page it replaced redraws late (that
one used to dispose every chart on the screen, leaving the next page's box empty). See conftest.py."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .conftest import TUNELAB, LiveExperiment, _free_port, _write, screenshot
from .test_ui_second_pass import CHART_OPTION

pytestmark = pytest.mark.browser
TABS = ["history", "parallel", "curves", "durations", "slice", "contour", "rank", "importance", "edf"]
# What the chart box shows: a visible canvas of a live chart, or its sentence.
SHOWN = """() => {
  const box = document.querySelector('[data-testid=trials-chart]');
  if (!box) return null;
  const canvas = [...box.querySelectorAll('canvas')].some((c) => c.isConnected && c.offsetWidth > 50 && c.offsetHeight > 50);
  const sentence = box.querySelector(':scope > p.muted');
  return { canvas, sentence: sentence ? sentence.textContent : null, tab: document.querySelector('button.tab.active')?.dataset.tab };
}"""


def _shown(page: Any, tab: str) -> dict[str, Any]:
    page.wait_for_function(f"() => {{ const s = ({SHOWN})(); return s && s.tab === {tab!r} && (s.canvas || s.sentence); }}",
                           timeout=20_000)
    return page.evaluate(SHOWN)


@pytest.fixture(scope="module")
def all_failed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An experiment whose every trial failed (three, fail-fast off): no final value anywhere."""
    directory = tmp_path_factory.mktemp("allfailed")
    config = _write(directory)
    body = json.loads(config.read_text())
    body["searchSpace"]["kind"] = {"_type": "choice", "_value": ["fail"]}
    config.write_text(json.dumps({**body, "maxTrialNumber": 3, "failFastTrials": 0}))
    env = {**os.environ, "TUNELAB_HOME": str(directory / "home")}
    port = _free_port()
    run = lambda *args: subprocess.run([TUNELAB, *args], env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: E731
    created = run("create", "-c", str(config), "--port", str(port), "--id", "uiallfailed")
    assert created.returncode == 0, created.stdout + created.stderr
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            counts = httpx.get(f"{url}api/v1/experiment", timeout=10).json()["counts"]
            if counts["RUNNING"] == 0 and counts["WAITING"] == 0 and counts["FAILED"] >= 3:
                break
            time.sleep(0.2)
        yield url
    finally:
        run("stop", "uiallfailed")


def test_with_only_failed_trials_every_tab_says_why_or_draws(all_failed: str, page: Any) -> None:
    for tab in TABS:
        page.goto(f"{all_failed}#/trials?tab={tab}")
        shown = _shown(page, tab)
        if tab in ("durations", "curves"):
            continue  # failed trials still have a start and an end; curves say there is nothing to draw
        assert shown["sentence"], (tab, shown)
        assert "could not be drawn" not in shown["sentence"], (tab, shown)
    screenshot(page, "desktop-light-allfailed-chart-edf")
    # A quick run over every tab ends on the last one, drawn (the page fixture fails on any JS error).
    page.goto(f"{all_failed}#/trials")
    _shown(page, "history")
    for tab in [*TABS, "parallel"]:
        page.locator(f"button[data-tab={tab}]").click()
    assert _shown(page, "parallel")["sentence"] == "No finished trial yet."


def test_a_quick_run_over_the_tabs_ends_with_the_last_tab_alone(live: LiveExperiment, page: Any) -> None:
    live.settled()
    page.goto(f"{live.url}#/trials")
    _shown(page, "history")
    for last in ("history", "slice", "rank"):
        for tab in [t for t in TABS if t != last] + [last]:
            page.locator(f"button[data-tab={tab}]").click()
        shown = _shown(page, last)
        page.wait_for_timeout(1500)  # let every answer of the tabs passed over arrive
        assert page.evaluate(SHOWN) == shown, last
        option = page.wait_for_function(f"({CHART_OPTION})('[data-testid=trials-chart]')").json_value()
        series = {s.get("name") for s in option["series"]}
        if last == "history":
            assert "best so far" in series
            assert page.locator("[data-testid=trials-chart] select").count() == 0  # no leftover of another tab
        elif last == "rank":
            assert series == {"rank"}
        else:
            assert option["series"][0]["type"] == "scatter"
            assert page.locator("[data-testid=trials-chart] [data-testid=rank-x]").count() == 0


def test_a_late_redraw_of_the_page_left_keeps_the_next_pages_chart(live: LiveExperiment, page: Any) -> None:
    live.settled()
    page.goto(f"{live.url}#/trials")
    _shown(page, "history")
    # A trial's life (waiting, running, succeeded) makes the page schedule a chart redraw up to 5 s later.
    trial = live.api.post("/trials", json={"parameters": {"x": 0.31, "kind": "ok"}}).json()["trial"]
    live.wait_for(lambda: live.api.get(f"/trials/{trial['id']}").json()["status"] == "SUCCEEDED", "the trial")
    page.goto(f"{live.url}#/trials?tab=edf")
    assert _shown(page, "edf")["canvas"]
    page.wait_for_timeout(6000)  # past the redraw the page left behind had scheduled
    shown = page.evaluate(SHOWN)
    assert shown["canvas"], f"the EDF chart was taken away: {shown}"
