"""Web UI and REST API at scale: 10,000 trials x 100 intermediate results in one SQLite store.

Run: ``python benchmarks/ui_scale.py [--trials N] [--intermediates M] [--rate R] [--seconds S]``.

Prints (targets from the issue; figures are printed, never asserted):

* trials-page API latency, p50/p95 over varied pages, sorts and filters (target p95 <= 100 ms);
* overview first meaningful paint in headless Chromium: navigation start until the best metric is shown
  (target <= 1 s), and the same for the Trials table;
* chart routes' latency (their data is downsampled on the server);
* live updates: R metric reports per second, each published as its own change, for S seconds, with the
  Trials page open: how many the page applied, and the worst publish-to-page lag (target: keeps up at 100/s).

Needs /usr/bin/chromium for the browser figures (skipped with a note otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tunelab.server import AppContext, AppServer, ServerSettings, bind_socket, create_app
from tunelab.storage import ExperimentRecord, SqliteStore
from tunelab.trial import ExperimentStatus, Metric, MetricKind, Trial, TrialState

PORT = 18250
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
_STATES = [TrialState.SUCCEEDED] * 7 + [TrialState.FAILED, TrialState.EARLY_STOPPED, TrialState.USER_CANCELED]
CONFIG = {
    "experimentName": "ui-scale",
    "trialConcurrency": 8,
    "maxTrialNumber": 10_000,
    "tuner": {"name": "TPE", "classArgs": {"optimize_mode": "maximize"}},
    "searchSpace": {
        "lr": {"_type": "loguniform", "_value": [1e-5, 1e-1]},
        "batch_size": {"_type": "choice", "_value": [16, 32, 64, 128]},
        "optimizer": {"_type": "choice", "_value": ["sgd", "adam", "rmsprop"]},
        "dropout": {"_type": "uniform", "_value": [0, 0.8]},
    },
}


def fill(store: SqliteStore, trials: int, intermediates: int, seed: int = 0) -> None:
    """Write the experiment straight into storage, in batches of 500 trials per transaction."""
    rng = random.Random(seed)
    store.create_experiment(ExperimentRecord(id=store.experiment_id, name="ui-scale", config=CONFIG,
                                             status=ExperimentStatus.RUNNING, created_at=1000.0))
    for first in range(0, trials, 500):
        with store.transaction():
            for i in range(first, min(trials, first + 500)):
                _one_trial(store, rng, i, intermediates)


def _one_trial(store: SqliteStore, rng: random.Random, i: int, intermediates: int) -> None:
    tid = f"trial{i:05d}"
    params = {"lr": 10 ** rng.uniform(-5, -1), "batch_size": rng.choice([16, 32, 64, 128]),
              "optimizer": rng.choice(["sgd", "adam", "rmsprop"]), "dropout": rng.uniform(0, 0.8)}
    status = rng.choice(_STATES)
    started = 1000.0 + i * 3
    quality = 1 - abs(params["dropout"] - 0.3) - 0.05 * abs(params["lr"] * 100 - 1)
    store.insert_trial(Trial(id=tid, sequence=i, parameters=params, status=status, created_at=started,
                             started_at=started, ended_at=started + rng.uniform(20, 300),
                             message="RuntimeError: CUDA out of memory" if status is TrialState.FAILED else ""))
    steps = intermediates if status is not TrialState.FAILED else rng.randrange(intermediates)
    curve = [Metric(tid, MetricKind.PERIODICAL, s, v, v, started + s)
             for s in range(steps) for v in [quality * (1 - 0.9 ** (s + 1)) + rng.gauss(0, 0.01)]]
    store.add_intermediates(curve)
    if status is TrialState.SUCCEEDED:
        final = quality + rng.gauss(0, 0.01)
        store.set_final(Metric(tid, MetricKind.FINAL, 0, final, {"default": final, "loss": 1 - final}, started + 400))


class Served:
    """The app on its own event loop in a thread, so the benchmark can publish changes onto that loop."""

    def __init__(self, context: AppContext) -> None:
        self.context = context
        self.loop = asyncio.new_event_loop()
        self._server: AppServer | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        sock = bind_socket("127.0.0.1", PORT)
        self._server = AppServer(create_app(self.context, ServerSettings(port=PORT)), sock)
        self.loop.run_until_complete(self._server.start())
        self._ready.set()
        self.loop.run_forever()

    def __enter__(self) -> Served:
        self._thread.start()
        self._ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    def publish(self, change: dict[str, Any]) -> None:
        self.loop.call_soon_threadsafe(self.context.feed.publish, change)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def api_latency(base: str, trials: int, repeat: int) -> None:
    pages = [
        {"limit": 50},
        {"limit": 50, "offset": max(0, trials - 50)},
        {"limit": 50, "sort": "final", "order": "desc"},
        {"limit": 50, "sort": "final", "order": "asc", "offset": trials // 2},
        {"limit": 50, "filter": "status:FAILED"},
        {"limit": 50, "filter": "lr>0.001 optimizer=adam,sgd", "sort": "final", "order": "desc"},
        {"limit": 50, "sort": "params.lr"},
        {"limit": 50, "sort": "duration", "order": "desc", "offset": 500},
        {"limit": 50, "filter": "cuda"},
        {"limit": 100, "filter": "dropout=0.2..0.4 final>0.5", "sort": "final", "order": "desc"},
    ]
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/trials", params={"limit": 1})
        samples: list[float] = []
        per_query: dict[str, list[float]] = {}
        for _ in range(repeat):
            for params in pages:
                start = time.perf_counter()
                response = client.get("/trials", params=params)
                elapsed = (time.perf_counter() - start) * 1000
                response.raise_for_status()
                samples.append(elapsed)
                per_query.setdefault(str(params), []).append(elapsed)
        print(f"trials page API: n={len(samples)} p50={percentile(samples, 0.5):.1f} ms "
              f"p95={percentile(samples, 0.95):.1f} ms max={max(samples):.1f} ms  (target p95 <= 100 ms)")
        for name, values in per_query.items():
            print(f"    {percentile(values, 0.95):7.1f} ms p95  {name}")
        for path in ("/experiment", "/charts/history", "/charts/parallel", "/charts/slice", "/charts/rank", "/charts/importance",
                     "/charts/timeline", "/charts/curves", "/charts/columns",
                     "/charts/history?max_points=100000"):  # the last: every final value, for the EDF tab
            times = []
            for _ in range(5):
                start = time.perf_counter()
                client.get(path).raise_for_status()
                times.append((time.perf_counter() - start) * 1000)
            size = len(client.get(path).content)
            print(f"    {path:<20} first {times[0]:7.1f} ms, then median {statistics.median(times[1:]):6.1f} ms, "
                  f"{size / 1024:7.1f} KiB")


def browser_figures(url: str, served: Served, trials: int, rate: int, seconds: float) -> None:
    if not CHROMIUM.exists():
        print("browser figures skipped: /usr/bin/chromium is absent")
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            _paint(browser, url, "overview", "() => (document.querySelector('[data-testid=best-value]')"
                                             "?.textContent || '—') !== '—'")
            _paint(browser, url + "#/trials", "trials", "() => document.querySelectorAll("
                                                      "'[data-testid=trials-table] tbody tr').length >= 50")
            _live(browser, url, served, trials, rate, seconds)
            _screenshots(browser, url)
        finally:
            browser.close()


def _paint(browser: Any, url: str, name: str, ready: str, runs: int = 7) -> None:
    """Milliseconds from navigation start to the page's ``tunelab:<name>`` mark: its main content (the
    best metric, the first table page) is in the DOM and the next frame has begun."""
    times, fcps = [], []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(url, wait_until="commit")
        page.wait_for_function(ready, timeout=30_000)
        page.wait_for_function(f"() => performance.getEntriesByName('tunelab:{name}').length > 0")
        times.append(page.evaluate(f"() => performance.getEntriesByName('tunelab:{name}')[0].startTime"))
        fcps.append(page.evaluate(
            "() => (performance.getEntriesByName('first-contentful-paint')[0] || {startTime: NaN}).startTime"))
        context.close()
    warm = times[1:]  # the first run also pays for Chromium's own start-up of the renderer
    print(f"{name} first meaningful paint: median {statistics.median(warm):.0f} ms, max {max(warm):.0f} ms "
          f"(cold first run {times[0]:.0f} ms; first contentful paint median {statistics.median(fcps[1:]):.0f} ms)"
          "  (target <= 1000 ms)")


def _screenshots(browser: Any, url: str) -> None:
    """Every page and chart tab at full scale, for a reviewer to check that downsampled charts still read."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("() => performance.getEntriesByName('tunelab:overview').length > 0")
    page.locator("[data-testid=history-chart] canvas").first.wait_for()
    page.screenshot(path=str(SCREENSHOTS / "scale-overview.png"), full_page=True)
    for tab in ("history", "parallel", "curves", "durations", "slice", "contour", "rank", "importance", "edf"):
        page.goto(f"{url}#/trials?tab={tab}")
        page.locator("[data-testid=trials-chart] canvas").first.wait_for()
        page.wait_for_timeout(500)
        page.screenshot(path=str(SCREENSHOTS / f"scale-trials-{tab}.png"), full_page=True)
    print(f"screenshots: {SCREENSHOTS}/scale-*.png")
    context.close()


def _live(browser: Any, url: str, served: Served, trials: int, rate: int, seconds: float) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url + "#/trials")
    page.wait_for_function("() => document.querySelector('#live-indicator').textContent === 'live'")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=trials-table] tbody tr').length >= 50")
    visible = [f"trial{i:05d}" for i in range(50)]  # the first page: reports to these patch visible rows
    total = int(rate * seconds)
    start = time.perf_counter()
    for n in range(total):
        trial_id = visible[n % len(visible)] if n % 2 == 0 else f"trial{random.randrange(trials):05d}"
        metric = {"trial_id": trial_id, "kind": "PERIODICAL", "sequence": 100 + n, "value": random.random(),
                  "data": None, "timestamp": time.time()}
        served.publish({"type": "metrics", "metrics": [metric]})
        # pace the reports evenly: sleep until this report's slot
        delay = start + (n + 1) / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    sent_s = time.perf_counter() - start
    page.wait_for_function(f"() => window.tunelabStats.metrics >= {total}", timeout=30_000)
    stats = page.evaluate("() => window.tunelabStats")
    print(f"live updates: {total} metric reports at {total / sent_s:.0f}/s for {sent_s:.1f} s -> page applied "
          f"{stats['metrics']} in {stats['batches']} SSE messages, worst lag {stats['maxLagS'] * 1000:.0f} ms, "
          f"resyncs {stats['resyncs']}  (target: keeps up at 100/s)")
    context.close()


def _load() -> str:
    try:
        with open("/proc/loadavg", encoding="ascii") as handle:
            return handle.read().split()[0]
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--intermediates", type=int, default=100)
    parser.add_argument("--rate", type=int, default=100, help="metric reports per second for the live test")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=20, help="rounds over the trials-page queries")
    parser.add_argument("--keep", type=Path, help="directory for the database, reused when it exists already")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tunelab-ui-scale-") as tmp:
        directory = args.keep or Path(tmp) / "ui-scale"
        directory.mkdir(parents=True, exist_ok=True)
        reuse = (directory / "tunelab.db").exists()
        store = SqliteStore(directory / "tunelab.db", "ui-scale")
        if reuse:
            print(f"reusing {directory / 'tunelab.db'}")
        else:
            started = time.perf_counter()
            fill(store, args.trials, args.intermediates)
            print(f"filled {args.trials} trials x {args.intermediates} intermediates in "
                  f"{time.perf_counter() - started:.1f} s")
        context = AppContext(experiment_id="ui-scale", store=store, experiment_dir=directory,
                             experiments_root=Path(tmp))
        with Served(context) as served:
            url = f"http://127.0.0.1:{PORT}/"
            api_latency(url + "api/v1", args.trials, args.repeat)
            browser_figures(url, served, args.trials, args.rate, args.seconds)
        print(f"(machine: {os.cpu_count()} CPUs, 1-minute load average {_load()} at the end; other work on the "
              "machine inflates every figure)")
        context.close()
        store.close()


if __name__ == "__main__":
    main()
