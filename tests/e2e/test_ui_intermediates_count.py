"""Issue 17, item 10: a trial page's intermediates count agrees with the points its chart draws while the
trial runs (it used to stay at the count read when the page opened). See conftest.py for the fixtures."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import LiveExperiment
from .test_ui_second_pass import CHART_OPTION

pytestmark = pytest.mark.browser
COUNT = "table.kv tr:has(th:text-is('intermediates')) td"

STEPS = f"""async () => {{
  const option = await ({CHART_OPTION})('[data-testid=trial-chart]');
  return option ? option.series[0].data.map((p) => p[0]) : [];
}}"""


def _shown(page: Any) -> tuple[str, list[int]]:
    return page.locator(COUNT).text_content(), page.evaluate(STEPS)


def test_the_count_follows_the_chart_while_a_trial_reports(live: LiveExperiment, page: Any) -> None:
    live.settled()
    trial = live.api.post("/trials", json={"parameters": {"x": 0.5, "kind": "ok", "steps": 60, "sleep": 0.25}}).json()["trial"]
    path = f"/trials/{trial['id']}"
    live.wait_for(lambda: live.api.get(path).json()["intermediate_count"] >= 2, "the first results")
    page.goto(f"{live.url}#{path}")
    page.locator(COUNT).wait_for()
    opened = int(page.locator(COUNT).text_content())
    # While it runs: wait for a chart well past what the page read at first, then compare at rest.
    live.wait_for(lambda: len(page.evaluate(STEPS)) >= opened + 5, "the chart to grow past the first count", timeout=30)
    seen = []
    agreed = False
    for _ in range(16):
        text, steps = _shown(page)
        seen.append((text, len(steps)))
        if text == str(len(steps)) and live.api.get(path).json()["status"] == "RUNNING":
            agreed = True
            break
        page.wait_for_timeout(250)
    assert agreed, f"count shown vs points drawn while running: {seen}"
    assert len(set(steps)) == len(steps), "one point per step"
    assert steps == sorted(steps)
    live.wait_for(lambda: live.api.get(path).json()["status"] == "SUCCEEDED", "the trial to end")
    page.wait_for_function("() => [...document.querySelectorAll('table.kv tr')].find((r) => r.querySelector('th')?.textContent"
                           " === 'intermediates')?.querySelector('td')?.textContent === '60'")
    live.wait_for(lambda: len(page.evaluate(STEPS)) == 60, "every point drawn", timeout=30)
