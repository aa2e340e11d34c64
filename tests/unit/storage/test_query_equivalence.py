"""The SQL compiler and the Python evaluator give the same pages for random trials and queries."""

from __future__ import annotations

import math
import os
import random
import uuid
from pathlib import Path
from typing import Any

import pytest

from tunelab.storage import (
    Condition,
    ExperimentRecord,
    ExperimentStore,
    MemoryStore,
    Op,
    PostgresStore,
    SqliteStore,
    TrialQuery,
)
from tunelab.trial import Metric, MetricKind, Trial, TrialState

POSTGRES_URL = os.environ.get("TUNELAB_TEST_POSTGRES_URL")
_WORDS = ["sgd", "adam", "Adam", "rmsprop", "cnn", "mlp", "x y", "NaN", ""]


def _random_value(rng: random.Random) -> Any:
    choice = rng.random()
    if choice < 0.45:
        return rng.choice([0, 1, 2, 0.5, 1e-5, -3.25, 100, 2.0])
    if choice < 0.75:
        return rng.choice(_WORDS)
    if choice < 0.85:
        return rng.choice([True, False])
    if choice < 0.9:
        return [1, "a"]
    return {"_name": rng.choice(["cnn", "mlp"]), "dropout": rng.choice([0.1, 0.5, "auto"])}


def _fill(store: ExperimentStore, rng: random.Random) -> None:
    store.create_experiment(ExperimentRecord(id=store.experiment_id, name=None, config={}))
    with store.transaction():
        for i in range(60):
            params = {k: _random_value(rng) for k in ("a", "b", "model") if rng.random() < 0.85}
            started = rng.choice([None, 100.0, 200.0])
            ended = None if started is None or rng.random() < 0.3 else started + rng.choice([0, 5, 50])
            store.insert_trial(
                Trial(
                    id=f"trial-{i:02d}",
                    sequence=i * 3 % 61,
                    parameters=params,
                    status=rng.choice(list(TrialState)),
                    started_at=started,
                    ended_at=ended,
                    message=rng.choice(["", "CUDA error", "killed"]),
                    attempt=rng.choice([0, 1]),
                )
            )
            if rng.random() < 0.7:
                value = rng.choice([0.1, 0.5, 0.9, math.nan, 0.5])
                data: Any = value if rng.random() < 0.5 else {"default": value, "loss": _random_value(rng)}
                store.set_final(Metric(f"trial-{i:02d}", MetricKind.FINAL, 0, value, data, 0.0))
            count = rng.choice([0, 0, 2])
            store.add_intermediates(
                [
                    Metric(f"trial-{i:02d}", MetricKind.PERIODICAL, s, rng.random(), 0, 0.0)
                    for s in range(count)
                ]
            )


def _random_condition(rng: random.Random, keys: list[str]) -> Condition:
    key = rng.choice(keys)
    value = rng.choice([0, 1, 0.5, 2.0, "sgd", "adam", "m", "cnn", True, False, -3.25])
    op = rng.choice(list(Op))
    if isinstance(value, bool) and op not in (Op.EQ, Op.NE):
        op = Op.EQ
    if op is Op.IN:
        return Condition(key, op, (value, rng.choice(["mlp", 100, 1e-5])))
    if op is Op.BETWEEN:
        upper: Any = "z" if isinstance(value, str) else (value + 1 if not isinstance(value, bool) else value)
        return Condition(key, op, value, upper)
    return Condition(key, op, value)


def _random_query(rng: random.Random) -> TrialQuery:
    fields = ["final", "duration", "sequence", "started_at", "latest_intermediate", "intermediate_count"]
    field_conditions = []
    if rng.random() < 0.2:
        key = rng.choice(fields)
        field_conditions.append(
            Condition(key, rng.choice([Op.GT, Op.LE, Op.NE, Op.EQ]), rng.choice([0, 0.5, 5, 150]))
        )
    sort = rng.choice(
        ["sequence", "id", "status", *fields, "params.a", "params.b", "params.model", "params.model.dropout",
         "metric.loss", "ended_at", "attempt"]
    )  # fmt: skip
    return TrialQuery(
        statuses=tuple(rng.sample(list(TrialState), rng.choice([0, 0, 0, 3, 5]))),
        parameters=tuple(
            _random_condition(rng, ["a", "b", "model._name", "model.dropout", "missing"])
            for _ in range(rng.choice([0, 0, 1, 1, 2]))
        ),
        fields=tuple(field_conditions),
        metrics=tuple(_random_condition(rng, ["loss", "default"]) for _ in range(rng.choice([0, 0, 0, 1]))),
        text=tuple(
            rng.sample(["cuda", "sgd", "2", "0.5", "TRIAL-1", "nan", "x y", "A"], rng.choice([0, 0, 0, 1]))
        ),
        sort=sort,
        descending=rng.random() < 0.5,
        offset=rng.choice([0, 0, 5]),
        limit=rng.choice([None, 10, 100]),
    )


def _compare(store: ExperimentStore, seed: int, queries: int) -> None:
    memory = MemoryStore(store.experiment_id)
    _fill(memory, random.Random(seed))
    _fill(store, random.Random(seed))
    rng = random.Random(1000 + seed)
    for _ in range(queries):
        query = _random_query(rng)
        expected = memory.query_trials(query)
        got = store.query_trials(query)
        assert [t.id for t in got.trials] == [t.id for t in expected.trials], query
        assert got.total == expected.total, query


@pytest.mark.parametrize("seed", range(4))
def test_sqlite_matches_memory(tmp_path: Path, seed: int) -> None:
    with SqliteStore(tmp_path / "tunelab.db", "e") as store:
        _compare(store, seed, 300)


@pytest.mark.postgres
@pytest.mark.skipif(POSTGRES_URL is None, reason="set TUNELAB_TEST_POSTGRES_URL to run")
@pytest.mark.parametrize("seed", range(2))
def test_postgres_matches_memory(seed: int) -> None:
    assert POSTGRES_URL is not None
    with PostgresStore(POSTGRES_URL, f"equivalence-{uuid.uuid4().hex}") as store:
        _compare(store, seed, 200)
