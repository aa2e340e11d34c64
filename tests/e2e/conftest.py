"""Browser tests: Playwright driving Debian's Chromium against a real detached experiment manager.

Skipped cleanly when /usr/bin/chromium is absent. Screenshots of every page land in
``test-output/screenshots/`` for review.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
TUNELAB = str(Path(sys.executable).parent / "tunelab")
XSS = "<img src=x onerror=alert(1)>"

TRIAL = textwrap.dedent("""
    import sys, time
    from tunelab.trial_api import get_next_parameter, report_final_result, report_intermediate_result
    p = get_next_parameter()
    if p["kind"] == "fail":
        print("Traceback (most recent call last):", file=sys.stderr)
        print("ValueError: planned failure for the UI test", file=sys.stderr)
        sys.exit(3)
    for line in range(int(p.get("lines", 0))):  # a long stdout, for reading a log in ranges
        print(f"log line {line:06d} " + "." * 60)
    steps = int(p.get("steps", 5))
    for i in range(steps):
        report_intermediate_result(p["x"] * (i + 1) / steps)
        time.sleep(float(p.get("sleep", 0.05)))
    report_final_result(p["x"])
""")


@dataclass
class LiveExperiment:
    """A detached manager serving one experiment on ``url`` until the session ends."""

    url: str
    experiment_id: str
    home: Path
    api: httpx.Client

    def wait_for(self, check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = check()
            if result:
                return result
            time.sleep(0.1)
        pytest.fail(f"timed out waiting for {what}")

    def settled(self) -> dict[str, Any]:
        """Wait until the tuner's budget is spent and nothing runs; returns the experiment overview."""
        def done() -> dict[str, Any] | None:
            body = self.api.get("/experiment").json()
            counts = body["counts"]
            return body if counts["RUNNING"] == 0 and counts["WAITING"] == 0 and sum(counts.values()) >= 8 else None
        return self.wait_for(done, "the experiment to spend its budget")


def _write(directory: Path) -> Path:
    (directory / "trial.py").write_text(TRIAL)
    config = {
        "experimentName": "ui <b>e2e</b>",
        "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]},
                        "kind": {"_type": "choice", "_value": ["ok", "ok", "fail", XSS]}},
        "trialCommand": f"{sys.executable} trial.py",
        "trialCodeDirectory": str(directory),
        "trialConcurrency": 2,
        "maxTrialNumber": 8,
        "tuner": {"name": "Random", "classArgs": {"optimize_mode": "maximize", "seed": 3}},
        "trainingService": {"platform": "local"},
    }
    path = directory / "config.json"
    path.write_text(json.dumps(config))
    return path


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def created_experiment(config: Path, home: Path, experiment_id: str) -> Iterator[LiveExperiment]:
    """``tunelab create`` of ``config`` (TUNELAB_HOME ``home``) on a free port, stopped however the block ends."""
    env = {**os.environ, "TUNELAB_HOME": str(home)}
    port = _free_port()
    created = subprocess.run([TUNELAB, "create", "-c", str(config), "--port", str(port), "--id", experiment_id],
                             check=False, env=env, capture_output=True, text=True, timeout=120)
    if created.returncode != 0:
        subprocess.run([TUNELAB, "stop", experiment_id], env=env, capture_output=True, timeout=60, check=False)
        pytest.fail(f"tunelab create failed ({created.returncode}): {created.stdout}{created.stderr}")
    url = f"http://127.0.0.1:{port}/"
    client = httpx.Client(base_url=f"{url}api/v1", timeout=10)
    try:
        yield LiveExperiment(url=url, experiment_id=experiment_id, home=home, api=client)
    finally:
        client.close()
        subprocess.run([TUNELAB, "stop", experiment_id], env=env, capture_output=True, timeout=60, check=False)


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveExperiment]:
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian chromium at /usr/bin/chromium")
    directory = tmp_path_factory.mktemp("e2e")
    with created_experiment(_write(directory), directory / "home", "uie2e") as experiment:
        yield experiment


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Module-scoped: Playwright's sync API holds an event loop on the main thread while it lives, which
    must not leak into the test modules that run after the browser tests."""
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def _open(browser: Any, **context_args: Any) -> tuple[Any, Any, list[str]]:
    """A page in a new context, recording JavaScript errors and dialogs. ``page.confirm_answer`` (default
    True) is how the page answers a confirm(): tests of "asks first" set it to False to cancel."""
    context = browser.new_context(**{"viewport": {"width": 1400, "height": 1000}, **context_args})
    page = context.new_page()
    # On a loaded 2-core CI box (load average 10 seen) a page can need more than Playwright's default 30 s.
    page.set_default_timeout(60_000)
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.confirm_answer = True

    def on_dialog(dialog: Any) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        if dialog.type == "confirm" and page.confirm_answer:
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", on_dialog)
    page.dialogs = dialogs
    return context, page, errors


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that fails the test on any JavaScript error or dialog (an XSS would raise one)."""
    context, page, errors = _open(browser)
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """``open_page(viewport={...}, color_scheme="dark")``: pages with other context settings (a phone,
    dark mode); each fails the test on a JavaScript error like ``page``."""
    opened: list[tuple[Any, list[str]]] = []

    def make(**context_args: Any) -> Any:
        context, page, errors = _open(browser, **context_args)
        opened.append((context, errors))
        return page

    yield make
    for context, _ in opened:
        context.close()
    for _, errors in opened:
        assert not errors, f"JavaScript errors on the page: {errors}"


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
