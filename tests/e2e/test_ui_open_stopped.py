"""Issue 17: a stopped experiment opens from the Experiments page in one click (a read-only ``tunelab
view`` of it starts on demand). See conftest.py for the fixtures."""

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
from .test_ui_second_pass import NO_SIDE_SCROLL, PHONE

pytestmark = pytest.mark.browser
STOPPED = "uistopped"


@pytest.fixture(scope="module")
def stopped(live: LiveExperiment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second experiment under the live one's home, run for a few trials and stopped."""
    directory = tmp_path_factory.mktemp("stopped")
    config = _write(directory)
    body = json.loads(config.read_text())
    config.write_text(json.dumps({**body, "experimentName": "stopped one", "maxTrialNumber": 3}))
    env = {**os.environ, "TUNELAB_HOME": str(live.home)}
    run = lambda *args: subprocess.run([TUNELAB, *args], env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: E731
    port = _free_port()
    created = run("create", "-c", str(config), "--port", str(port), "--id", STOPPED)
    assert created.returncode == 0, created.stdout + created.stderr
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=10) as client:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                counts = client.get("/experiment").json()["counts"]
                if counts["RUNNING"] == 0 and counts["WAITING"] == 0 and sum(counts.values()) >= 3:
                    break
                time.sleep(0.2)
        stopped = run("stop", STOPPED)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        yield STOPPED
    finally:
        run("stop", STOPPED)  # the viewer the test started, if any


def test_a_stopped_experiment_opens_read_only_in_one_click(live: LiveExperiment, stopped: str, page: Any) -> None:
    live.settled()
    listed = {e["id"]: e for e in live.api.get("/experiments").json()}
    assert listed[stopped]["running"] is False
    page.goto(f"{live.url}#/experiments")
    row = page.locator(f"[data-testid=experiments-table] tr[data-experiment={stopped}]")
    row.wait_for()
    # The live experiment keeps its link; only the stopped one offers to open.
    assert page.locator(f"tr[data-experiment={live.experiment_id}]").get_by_test_id("open-experiment").count() == 0
    screenshot(page, "desktop-light-experiments-stopped")
    row.get_by_test_id("open-experiment").click()
    page.wait_for_url(lambda url: not url.startswith(live.url), timeout=60_000)
    page.locator("main h1").wait_for()
    assert "stopped one" in page.locator("main h1").text_content()
    overview = httpx.get(page.url.split("#")[0] + "api/v1/experiment", timeout=10).json()
    assert overview["id"] == stopped
    assert overview["read_only"] is True
    # Once it serves, the Experiments page links to it instead of starting another.
    again = live.api.post(f"/experiments/{stopped}/view", headers={"origin": live.url.rstrip("/")}).json()
    assert again["started"] is False
    assert again["url"] == page.url.split("#")[0]


def test_opening_an_unknown_experiment_names_it(live: LiveExperiment) -> None:
    answer = live.api.post("/experiments/--help/view")
    assert answer.status_code == 404
    assert "--help" in answer.json()["error"]["message"]
    current = live.api.post(f"/experiments/{live.experiment_id}/view").json()
    assert current == {"experiment_id": live.experiment_id, "url": "/", "started": False}


def test_the_experiments_page_with_a_stopped_one_fits_a_phone(live: LiveExperiment, stopped: str, open_page: Any) -> None:
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{live.url}#/experiments")
    page.locator(f"tr[data-experiment={stopped}]").wait_for()
    assert page.evaluate(NO_SIDE_SCROLL)
    screenshot(page, "phone-light-experiments-stopped")
    # The id, in the first column, opens it: no sideways scroll of the table to reach the action.
    opener = page.locator(f"tr[data-experiment={stopped}] td").first.locator("a, button")
    box = opener.bounding_box()
    assert box
    assert box["x"] + box["width"] <= PHONE["width"]
    opener.click()
    page.wait_for_url(lambda url: not url.startswith(live.url), timeout=60_000)
    page.locator("main h1").wait_for()
    assert "stopped one" in page.locator("main h1").text_content()

