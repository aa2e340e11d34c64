"""Invariants over generated configs: to_dict/parse round-trips, validation is idempotent, spelling is free."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tunelab.config import parse_config

durations = st.one_of(
    st.integers(1, 10**6),
    st.builds(lambda n, u: f"{n}{u}", st.integers(1, 1000), st.sampled_from(["s", "m", "h", "d", ""])),
)
algorithms = st.fixed_dictionaries(
    {"name": st.sampled_from(["TPE", "Random", "Anneal", "Evolution"])},
    optional={
        "classArgs": st.dictionaries(st.sampled_from(["optimize_mode", "seed"]), st.integers(), max_size=2)
    },
)
local = st.fixed_dictionaries(
    {"platform": st.just("local"), "useActiveGpu": st.booleans()},
    optional={"gpuIndices": st.lists(st.integers(0, 7), min_size=1, max_size=4, unique=True)},
)
dask = st.fixed_dictionaries(
    {"platform": st.just("dask")},
    optional={"nWorkers": st.integers(1, 8), "schedulerAddress": st.just("tcp://127.0.0.1:8786")},
)
configs = st.fixed_dictionaries(
    {
        "searchSpace": st.dictionaries(
            st.sampled_from(["a", "b", "c"]),
            st.builds(
                lambda values: {"_type": "choice", "_value": values}, st.lists(st.integers(), min_size=1)
            ),
            max_size=3,
        ),
        "trialCommand": st.text(min_size=1, max_size=20).filter(str.strip),
        "trialConcurrency": st.integers(1, 64),
        "tuner": algorithms,
        "trainingService": st.one_of(local, dask),
    },
    optional={
        "experimentName": st.text(max_size=10),
        "trialGpuNumber": st.integers(0, 4),
        "maxExperimentDuration": durations,
        "maxTrialDuration": durations,
        "maxTrialNumber": st.integers(1, 10**5),
        "maxTrialRetries": st.integers(0, 5),
        "logLevel": st.sampled_from(["trace", "debug", "info", "warning", "error", "fatal"]),
        "debug": st.booleans(),
        "assessor": st.just({"name": "Medianstop"}),
    },
)


@given(configs)
def test_to_dict_round_trips(data: dict[str, Any]) -> None:
    config = parse_config(data)
    dumped = config.to_dict()
    again = parse_config(dumped)
    assert again == config
    assert again.to_dict() == dumped


@given(configs)
def test_validate_is_idempotent(data: dict[str, Any]) -> None:
    config = parse_config(data)
    before = config.to_dict()
    config.validate()
    assert config.to_dict() == before


def _respell(key: str, style: int) -> str:
    snake = re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()
    return [key, snake, f"_{key.upper()}_", key[:1].upper() + key[1:]][style]


@given(configs, st.integers(0, 3))
def test_top_level_key_spelling_does_not_matter(data: dict[str, Any], style: int) -> None:
    respelled = {_respell(key, style): value for key, value in data.items()}
    assert parse_config(respelled) == parse_config(data)
