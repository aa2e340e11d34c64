"""Trial-table query latency at web-UI scale: 10,000 trials x 100 intermediate results in SQLite.

Run: ``python benchmarks/storage_query.py [--trials N] [--intermediates M] [--repeat R] [--postgres URL]``.
Prints p50/p95 milliseconds per query (target: p95 <= 100 ms per page).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from tunelab.storage import ExperimentRecord, PostgresStore, SqliteStore, TrialQuery, parse_filter
from tunelab.storage._sql import SqlStore
from tunelab.trial import Metric, MetricKind, Trial, TrialState

_STATES = [TrialState.SUCCEEDED] * 6 + [TrialState.FAILED, TrialState.EARLY_STOPPED, TrialState.RUNNING]


def fill(store: SqlStore, trials: int, intermediates: int, seed: int = 0) -> float:
    rng = random.Random(seed)
    store.create_experiment(ExperimentRecord(id=store.experiment_id, name="bench", config={}))
    start = time.perf_counter()
    for first in range(0, trials, 500):
        with store.transaction():
            for i in range(first, min(trials, first + 500)):
                tid = f"trial{i:05d}"
                model = (
                    {"_name": "cnn", "dropout": rng.uniform(0, 0.8), "channels": rng.choice([16, 32, 64])}
                    if rng.random() < 0.5
                    else {"_name": "mlp", "hidden": rng.choice([64, 128, 256])}
                )
                params = {
                    "lr": 10 ** rng.uniform(-5, -1),
                    "batch_size": rng.choice([16, 32, 64, 128]),
                    "optimizer": rng.choice(["sgd", "adam", "rmsprop"]),
                    "model": model,
                }
                status = rng.choice(_STATES)
                started = 1000.0 + i
                store.insert_trial(
                    Trial(
                        id=tid,
                        sequence=i,
                        parameters=params,
                        status=status,
                        created_at=started,
                        started_at=started,
                        ended_at=None if status is TrialState.RUNNING else started + rng.uniform(5, 500),
                        message="CUDA out of memory" if status is TrialState.FAILED else "",
                    )
                )
                curve = [
                    Metric(tid, MetricKind.PERIODICAL, s, v, {"default": v, "loss": 1 - v}, started + s)
                    for s in range(intermediates)
                    for v in [min(1.0, rng.random() * (s + 1) / intermediates)]
                ]
                store.add_intermediates(curve)
                if status is TrialState.SUCCEEDED:
                    value = rng.random()
                    store.set_final(
                        Metric(
                            tid,
                            MetricKind.FINAL,
                            0,
                            value,
                            {"default": value, "loss": 1 - value},
                            started + 600,
                        )
                    )
    return time.perf_counter() - start


QUERIES: dict[str, TrialQuery] = {
    "first page": TrialQuery(limit=20),
    "last page": TrialQuery(offset=9980, limit=20),
    "best by final": TrialQuery(sort="final", descending=True, limit=20),
    "status filter": parse_filter("status:FAILED,EARLY_STOPPED", limit=20),
    "param range": parse_filter("lr>0.001 batch_size=32,64", limit=20),
    "nested choice": parse_filter(
        "model._name=cnn model.dropout=0.1..0.3", sort="final", descending=True, limit=20
    ),
    "sort by param": TrialQuery(sort="params.lr", limit=20),
    "sort by duration": TrialQuery(sort="duration", descending=True, offset=100, limit=20),
    "free text": parse_filter("cuda", limit=20),
    "text in params": parse_filter("rmsprop", sort="final", limit=20),
    "dict metric": parse_filter("metric.loss<0.2 final>0.5", sort="metric.loss", limit=20),
    "combined": parse_filter("status:SUCCEEDED optimizer=adam lr<0.01 final>0.5", sort="params.lr", limit=50),
}


def timed(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]


def report(reader: SqlStore, repeat: int) -> None:
    print(f"{'query':<20} {'rows':>5} {'total':>6} {'p50 ms':>8} {'p95 ms':>8}")
    for name, query in QUERIES.items():
        page = reader.query_trials(query)
        p50, p95 = timed(lambda q=query: reader.query_trials(q), repeat)  # type: ignore[misc]
        print(f"{name:<20} {len(page.trials):>5} {page.total:>6} {p50:>8.1f} {p95:>8.1f}")
    # a benchmark may peek: the newest metric id, to time a live-update poll of the last 500 metrics
    last_metric = reader._fetchone(
        "SELECT MAX(id) FROM metrics WHERE experiment_id = ?", [reader.experiment_id]
    )
    cursor = int(last_metric[0]) - 500 if last_metric else 0
    for name, action in {
        "trial metrics": lambda: reader.get_metrics("trial05000"),
        "metrics_since 500": lambda: reader.metrics_since(cursor),
        "count by status": reader.count_trials,
    }.items():
        p50, p95 = timed(action, repeat)
        print(f"{name:<20} {'':>5} {'':>6} {p50:>8.1f} {p95:>8.1f}")


def run(
    open_writer: Callable[[], SqlStore], open_reader: Callable[[], SqlStore], args: argparse.Namespace
) -> None:
    with open_writer() as writer:
        seconds = fill(writer, args.trials, args.intermediates)
    rate = args.trials * args.intermediates / seconds
    print(
        f"filled {args.trials} trials x {args.intermediates} intermediates in {seconds:.1f} s ({rate:,.0f} metrics/s)"
    )
    with open_reader() as reader:
        report(reader, args.repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--intermediates", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--postgres", metavar="URL", help="benchmark PostgreSQL at URL (in a throwaway schema)"
    )
    args = parser.parse_args()
    if args.postgres:
        run_postgres(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tunelab.db"
        print(f"SQLite {sqlite3.sqlite_version} at {path}")
        run(lambda: SqliteStore(path, "bench"), lambda: SqliteStore(path, "bench", readonly=True), args)


def run_postgres(args: argparse.Namespace) -> None:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{args.postgres}{'&' if '?' in args.postgres else '?'}options=-csearch_path%3D{schema}"
    print(f"PostgreSQL, schema {schema}")
    try:
        run(lambda: PostgresStore(url, "bench"), lambda: PostgresStore(url, "bench", readonly=True), args)
    finally:
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
