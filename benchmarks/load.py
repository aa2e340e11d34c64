"""Load: N concurrent trials each reporting R intermediate results per second for S seconds.

Starts a real detached manager (``tunelab create``), follows its live feed (``/api/v1/events``, what the UI
reads) and samples its memory. Prints values stored vs sent, live values received and their lag (time
from the trial's report to its arrival at the feed client), and the manager's RSS over time.

    .venv/bin/python benchmarks/load.py                      # 8 trials x 1000/s x 30 s
    .venv/bin/python benchmarks/load.py --seconds 3 --json   # the short version the test suite runs
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

TRIAL = """
import os
import sys
import time
import tunelab.trial_api as api

rate, seconds, go = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
total = int(rate * seconds)
api.get_next_parameter()
while not os.path.exists(go):  # start together, once the feed client listens
    time.sleep(0.01)
start = time.monotonic()
sent = 0
while sent < total:
    due = min(total, int((time.monotonic() - start) * rate) + 1)
    while sent < due:
        api.report_intermediate_result(sent * 0.001)
        sent += 1
    time.sleep(0.002)
api.report_final_result(1.0)
"""


class FeedClient(threading.Thread):
    """Reads the SSE feed and records, for each intermediate value, when it arrived."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.lags: list[float] = []
        self.seen: set[tuple[str, int]] = set()
        self.resyncs = 0
        self.messages = 0
        self.last_seq = 0
        self.gaps = 0
        self.connected = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            with httpx.Client(timeout=None) as client, client.stream("GET", self.url) as response:
                self.connected.set()
                for line in response.iter_lines():
                    if self.stop.is_set():
                        return
                    if line.startswith("data: "):
                        self._on_data(json.loads(line[6:]))
        except httpx.HTTPError:
            return  # the manager stopped

    def _on_data(self, data: Any) -> None:
        self.messages += 1
        if not isinstance(data, list):
            return
        now = time.time()
        for change in data:
            seq = int(change.get("seq", 0))
            if self.last_seq and seq != self.last_seq + 1:
                self.gaps += 1
            self.last_seq = seq
            if change.get("type") == "resync":
                self.resyncs += 1
            elif change.get("type") == "metrics":
                for metric in change["metrics"]:
                    if metric["kind"] == "PERIODICAL":
                        self.seen.add((metric["trial_id"], metric["sequence"]))
                        self.lags.append(now - metric["timestamp"])


def _wait_feed(feed: FeedClient, expected: int, quiet_s: float = 5.0) -> None:
    """Let the feed client drain: until it saw every value, or nothing new came for ``quiet_s``."""
    last, since = -1, time.monotonic()
    while len(feed.seen) < expected and time.monotonic() - since < quiet_s:
        if len(feed.seen) != last:
            last, since = len(feed.seen), time.monotonic()
        time.sleep(0.1)


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(trials: int, rate: float, seconds: float, port: int, workdir: Path) -> dict[str, Any]:
    home, code = workdir / "home", workdir / "code"
    home.mkdir(parents=True, exist_ok=True)
    code.mkdir(parents=True, exist_ok=True)
    (code / "trial.py").write_text(TRIAL, encoding="utf-8")
    config = {
        "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
        "trialCommand": f"{sys.executable} trial.py {rate} {seconds} {code / 'go'}",
        "trialCodeDirectory": str(code),
        "trialConcurrency": trials,
        "maxTrialNumber": trials,
        "tuner": {"name": "Random", "classArgs": {"seed": 1}},
        "trainingService": {"platform": "local"},
    }
    (code / "config.json").write_text(json.dumps(config), encoding="utf-8")
    env = {**os.environ, "TUNELAB_HOME": str(home)}
    started = subprocess.run(
        [sys.executable, "-m", "tunelab.cli", "create", "--config", str(code / "config.json"), "--id", "load",
         "--port", str(port)], env=env, capture_output=True, text=True, check=False,
    )
    if started.returncode != 0:
        raise SystemExit(f"tunelab create failed: {started.stdout}{started.stderr}")
    info = json.loads((home / "load" / "manager.json").read_text(encoding="utf-8"))
    pid = int(info["pid"])
    feed = FeedClient(f"http://127.0.0.1:{port}/api/v1/events")
    feed.start()
    feed.connected.wait(30)
    (code / "go").touch()
    rss: list[tuple[float, int]] = []
    api_latency: list[float] = []
    t0 = time.monotonic()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            while True:
                rss.append((time.monotonic() - t0, rss_kib(pid)))
                asked = time.monotonic()
                status = client.get("/api/v1/experiment").json()
                api_latency.append(time.monotonic() - asked)
                if status.get("status") in ("DONE", "ERROR"):
                    break
                if time.monotonic() - t0 > seconds * 10 + 120:
                    raise SystemExit("the experiment did not end in time")
                time.sleep(0.5)
            done_at = time.monotonic() - t0
            trials_json = client.get("/api/v1/trials", params={"limit": 1000}).json()
        sent = trials * int(rate * seconds)
        _wait_feed(feed, sent)
    finally:
        feed.stop.set()
        subprocess.run([sys.executable, "-m", "tunelab.cli", "stop", "load"], env=env, capture_output=True,
                       check=False)
    items = trials_json["trials"]
    stored = sum(int(t["intermediate_count"]) for t in items)
    lags = sorted(feed.lags) or [0.0]
    return {
        "trials": trials, "rate_per_trial": rate, "seconds": seconds,
        "values_sent": sent, "values_stored": stored,
        "finals_stored": sum(1 for t in items if t.get("final") is not None),
        "trial_states": sorted({t["status"] for t in items}),
        "live_values_received": len(feed.seen), "live_messages": feed.messages,
        "live_seq_gaps": feed.gaps, "live_resyncs": feed.resyncs,
        "live_lag_p50_s": round(statistics.median(lags), 4),
        "live_lag_p99_s": round(lags[int(len(lags) * 0.99) - 1 if len(lags) > 1 else 0], 4),
        "live_lag_max_s": round(lags[-1], 4),
        "api_latency_max_s": round(max(api_latency), 3),
        "run_to_done_s": round(done_at, 2),
        "manager_rss_mib": [(round(t, 1), round(kib / 1024, 1)) for t, kib in rss],
        "manager_rss_peak_mib": round(max(kib for _, kib in rss) / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--rate", type=float, default=1000.0, help="intermediate results per second per trial")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--port", type=int, default=18590)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tunelab-load-") as tmp:
        result = run(args.trials, args.rate, args.seconds, args.port, Path(tmp))
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        if key != "manager_rss_mib":
            print(f"{key:24} {value}")
    samples = result["manager_rss_mib"]
    step = max(1, len(samples) // 12)
    print("manager RSS over time    " + ", ".join(f"{t:g}s={m:g}MiB" for t, m in samples[::step]))


if __name__ == "__main__":
    main()
