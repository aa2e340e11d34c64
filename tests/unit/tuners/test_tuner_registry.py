"""The builtin-name registry: NNI spellings, helpful errors, class-arg validation."""

from __future__ import annotations

from typing import Any

import pytest

import tunelab.tuners
from tunelab.base import ConfigError
from tunelab.space import parse_search_space
from tunelab.tuners import (
    BUILTIN_TUNERS,
    GridSearchTuner,
    RandomTuner,
    TpeTuner,
    create_tuner_from_config,
    resolve_tuner_name,
)

SPACE = {"x": {"_type": "uniform", "_value": [0, 1]}}


def test_public_names_are_pinned() -> None:
    names = tunelab.tuners.__all__
    assert len(set(names)) == len(names)
    assert {"create_tuner", "optimize", "load_custom_tuner", "TRIAL_BUDGET"} <= set(names)
    assert all(hasattr(tunelab.tuners, name) for name in names)
    assert BUILTIN_TUNERS == [
        "Anneal",
        "Auto",
        "BOHB",
        "Batch",
        "Evolution",
        "GP",
        "GridSearch",
        "Hyperband",
        "MOTPE",
        "NSGA2",
        "PBT",
        "Random",
        "TPE",
    ]


@pytest.mark.parametrize(
    ("spelling", "cls"),
    [
        ("TPE", TpeTuner),
        ("tpe", TpeTuner),
        ("Random", RandomTuner),
        ("RANDOM", RandomTuner),
        ("RandomTuner", RandomTuner),
        ("GridSearch", GridSearchTuner),
        ("gridsearch", GridSearchTuner),
        ("grid_search", GridSearchTuner),
        ("GridSearchTuner", GridSearchTuner),
    ],
)
def test_names_are_case_insensitive_with_aliases(spelling: str, cls: type) -> None:
    assert type(create_tuner_from_config(spelling, SPACE, {})) is cls


def test_accepts_a_parsed_space() -> None:
    space = parse_search_space(SPACE)
    assert create_tuner_from_config("TPE", space, {}).space is space


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("TPEE", ['"TPE"', "TPEE"]),
        ("GridSerch", ['did you mean "GridSearch"']),
        ("nonsense", ["unknown tuner 'nonsense'", "GridSearch, Hyperband, MOTPE, NSGA2, PBT, Random, TPE"]),
    ],
)
def test_unknown_name_suggests_the_closest(name: str, fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_tuner_name(name)
    for fragment in fragments:
        assert fragment in str(info.value)
    assert str(info.value).startswith("tuner.name: ")


@pytest.mark.parametrize(
    ("name", "nni_name", "closest"),
    [
        ("SMAC", "SMAC", "Auto"),
        ("Metis", "MetisTuner", "GP"),
        ("DNGOTuner", "DNGOTuner", "GP"),
        ("TPE_legacy", "TPE_legacy", "TPE"),
    ],
)
def test_known_nni_names_not_implemented_name_the_closest(name: str, nni_name: str, closest: str) -> None:
    with pytest.raises(ConfigError) as info:
        create_tuner_from_config(name, SPACE, {})
    message = str(info.value)
    assert f'"{nni_name}" is not available in tunelab (' in message
    assert f'use "{closest}"' in message


def test_unknown_class_arg_names_it_and_the_accepted_ones() -> None:
    with pytest.raises(ConfigError) as info:
        create_tuner_from_config("TPE", SPACE, {"optimise_mode": "maximize"})
    message = str(info.value)
    assert message.startswith("tuner.classArgs.optimise_mode: TPE does not accept 'optimise_mode'")
    assert 'did you mean "optimize_mode"' in message
    assert "accepted: optimize_mode, seed, tpe_args" in message
    with pytest.raises(ConfigError, match=r"accepted: optimize_mode, seed$"):
        create_tuner_from_config("Random", SPACE, {"tpe_args": {}})


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        ({"optimize_mode": "max"}, ["tuner.classArgs.optimize_mode", "'max'"]),
        ({"seed": -1}, ["tuner.classArgs.seed", "-1"]),
        ({"seed": "7"}, ["tuner.classArgs.seed", "'7'"]),
        ({"tpe_args": {"gama": 0.3}}, ["tuner.classArgs.tpe_args.gama", 'did you mean "gamma"']),
        ({"tpe_args": {"gamma": 2}}, ["tuner.classArgs.tpe_args.gamma", "got 2"]),
        ({"tpe_args": {"constant_liar_type": "min"}}, ["constant_liar_type", "'min'"]),
        ({"tpe_args": {"n_startup_jobs": 2.5}}, ["n_startup_jobs", "integer", "2.5"]),
        ({"tpe_args": {"n_ei_candidates": 0}}, ["n_ei_candidates", ">= 1", "got 0"]),
        ({"tpe_args": {"prior_weight": -1}}, ["prior_weight", "-1"]),
    ],
)
def test_bad_class_arg_values(args: dict[str, Any], fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        create_tuner_from_config("TPE", SPACE, args)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)


def test_optimize_mode_is_case_insensitive_and_defaults_follow_nni() -> None:
    assert create_tuner_from_config("TPE", SPACE, {}).optimize_mode == "minimize"
    assert create_tuner_from_config("Random", SPACE, {}).optimize_mode == "maximize"
    assert create_tuner_from_config("TPE", SPACE, {"optimize_mode": "Maximize"}).optimize_mode == "maximize"


def test_unseeded_tuner_draws_and_keeps_a_seed() -> None:
    tuner = create_tuner_from_config("Random", SPACE, {})
    assert isinstance(tuner.seed, int)
    assert tuner.seed >= 0
