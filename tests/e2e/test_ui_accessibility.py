"""An axe-core audit of every page, light and dark, desktop and phone: no serious or critical violation."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import LiveExperiment

pytestmark = pytest.mark.browser

SERIOUS = {"serious", "critical"}


def _violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
            for v in results.response["violations"] if v["impact"] in SERIOUS]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1440, 390])
def test_no_serious_accessibility_violation_on_any_page(live: LiveExperiment, open_page: Any, scheme: str, width: int) -> None:
    pytest.importorskip("axe_playwright_python")
    overview = live.settled()
    pair = ",".join(t["id"] for t in live.api.get("/trials", params={"limit": 2}).json()["trials"])
    page = open_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    found: dict[str, list[str]] = {}
    for route in ("#/", "#/trials", f"#/trials/{overview['best']['id']}", f"#/compare?trials={pair}", "#/experiments",
                  "#/trials?tab=parallel"):
        page.goto(live.url + route)
        page.locator("main h1").wait_for()
        page.wait_for_timeout(500)
        if problems := _violations(page):
            found[route] = problems
    assert not found, "\n".join(f"{route}: {p}" for route, problems in found.items() for p in problems)
