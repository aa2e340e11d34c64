"""Random and GridSearch: NNI order, deduplication, exhaustion."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from tunelab.base import NoMoreTrialsError
from tunelab.space import parse_search_space
from tunelab.trial import TrialState
from tunelab.tuners import GridSearchTuner, History, Observation, RandomTuner

SMALL = {
    "a": {"_type": "choice", "_value": ["x", "y"]},
    "b": {"_type": "randint", "_value": [0, 3]},
    "c": {"_type": "quniform", "_value": [0, 1, 0.5]},
}


def _key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True)


def _drain(tuner: RandomTuner | GridSearchTuner, history: History) -> list[dict[str, Any]]:
    out = []
    while True:
        try:
            params = tuner.suggest(history)
        except NoMoreTrialsError:
            return out
        out.append(params)
        assert len(out) < 10_000


def test_random_covers_a_small_space_once_then_stops() -> None:
    tuner = RandomTuner(parse_search_space(SMALL), seed=3)
    points = _drain(tuner, History())
    assert len(points) == 2 * 3 * 3
    assert len({_key(p) for p in points}) == 18


def test_random_never_repeats_history_including_customized_trials() -> None:
    space = parse_search_space({"a": {"_type": "choice", "_value": [1, 2, 3]}})
    history = History(finished=[Observation("c0", 0, {"a": 2}, TrialState.SUCCEEDED, 0.5)])
    points = _drain(RandomTuner(space, seed=0), history)
    assert sorted(p["a"] for p in points) == [1, 3]


def test_random_exhaustion_message_is_helpful() -> None:
    tuner = RandomTuner(parse_search_space({"a": {"_type": "choice", "_value": [1]}}), seed=0)
    tuner.suggest(History())
    with pytest.raises(NoMoreTrialsError, match="every distinct parameter set"):
        tuner.suggest(History())


def test_random_is_seeded() -> None:
    space = parse_search_space({"x": {"_type": "uniform", "_value": [0, 1]}})
    first = [RandomTuner(space, seed=5).suggest(History()) for _ in range(2)]
    assert first[0] == first[1]


def test_grid_search_follows_space_grid_and_ends() -> None:
    space = parse_search_space(SMALL)
    points = _drain(GridSearchTuner(space), History())
    assert points == list(space.grid())
    assert len(points) == 18


def test_grid_search_skips_points_already_in_history() -> None:
    space = parse_search_space(SMALL)
    expected = list(space.grid())
    done = [Observation(f"t{i}", i, p, TrialState.SUCCEEDED, 1.0) for i, p in enumerate(expected[:5])]
    points = _drain(GridSearchTuner(space), History(finished=done))
    assert points == expected[5:]


def test_grid_search_on_continuous_space_keeps_going() -> None:
    space = parse_search_space({"x": {"_type": "uniform", "_value": [0, 1]}})
    tuner = GridSearchTuner(space)
    values = [tuner.suggest(History())["x"] for _ in range(7)]
    assert values == [0.5, 0.25, 0.75, 0.125, 0.375, 0.625, 0.875]


def test_empty_space_gives_one_empty_trial() -> None:
    for tuner in (RandomTuner(parse_search_space({}), seed=0), GridSearchTuner(parse_search_space({}))):
        assert tuner.suggest(History()) == {}
        with pytest.raises(NoMoreTrialsError):
            tuner.suggest(History())


def test_update_search_space_switches_space() -> None:
    tuner = GridSearchTuner(parse_search_space({"a": {"_type": "choice", "_value": [1]}}))
    assert tuner.suggest(History()) == {"a": 1}
    tuner.update_search_space(parse_search_space({"b": {"_type": "choice", "_value": [2, 3]}}))
    assert [tuner.suggest(History()) for _ in range(2)] == [{"b": 2}, {"b": 3}]


def test_grid_is_lazy_on_huge_spaces() -> None:
    space = parse_search_space({f"p{i}": {"_type": "randint", "_value": [0, 1000]} for i in range(6)})
    tuner = GridSearchTuner(space)
    first = [tuner.suggest(History()) for _ in range(3)]
    assert first == list(itertools.islice(space.grid(), 3))
