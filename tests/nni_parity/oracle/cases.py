"""The oracle: run in the ``.venv-nni`` interpreter (the real NNI 3.0). Reads one JSON request on stdin,
answers every case in one process (importing NNI costs seconds), prints one JSON line."""

import json
import math
import sys

import numpy as np


def sampling(case):
    # NNI's Random tuner without its de-duplicator (which ends small spaces early): the same sampling path.
    from nni.algorithms.hpo.random_tuner import suggest
    from nni.common.hpo_utils import deformat_parameters, format_search_space

    space = format_search_space(case["space"])
    rng = np.random.default_rng(case["seed"])
    return [deformat_parameters(suggest(rng, space), space) for _ in range(case["n"])]


def hyperband(case):
    from nni.algorithms.hpo.hyperband_advisor import Bracket, _epsilon

    R, eta = case["R"], case["eta"]
    s_max = math.floor(math.log(R, eta) + _epsilon)
    brackets = []
    for s in range(s_max, -1, -1):
        bracket = Bracket(str(s), s, s_max, eta, R, "maximize")
        rungs = []
        for i in range(s + 1):
            bracket.i = i
            rungs.append(list(bracket.get_n_r()))
        brackets.append({"s": s, "rungs": rungs})
    return {"s_max": s_max, "brackets": brackets}


def bohb(case):
    # NNI's BOHB bracket arithmetic (its advisor needs ConfigSpace, installed with nni[BOHB]).
    from nni.algorithms.hpo.bohb_advisor.bohb_advisor import Bracket, _epsilon

    low, high, eta = case["min_budget"], case["max_budget"], case["eta"]
    s_max = math.floor(math.log(high / low, eta) + _epsilon)
    brackets = []
    for s in range(s_max, -1, -1):
        bracket = Bracket(s, s_max, eta, high, "maximize")
        rungs = []
        for i in range(s + 1):
            bracket.i = i
            rungs.append(list(bracket.get_n_r()))
        brackets.append({"s": s, "rungs": rungs})
    return {"s_max": s_max, "brackets": brackets}


def grid(case):
    from nni import NoMoreTrialError
    from nni.algorithms.hpo.gridsearch_tuner import GridSearchTuner

    tuner = GridSearchTuner()
    tuner.update_search_space(case["space"])
    out = []
    for i in range(case["limit"]):
        try:
            out.append(tuner.generate_parameters(i))
        except NoMoreTrialError:
            break
    return out


def medianstop(case):
    from nni.algorithms.hpo.medianstop_assessor import MedianstopAssessor

    assessor = MedianstopAssessor(**case["args"])
    out = []
    for op, trial, payload in case["events"]:
        if op == "assess":
            out.append(assessor.assess_trial(trial, payload).name == "Good")
        else:
            assessor.trial_end(trial, payload)
    return out


def config(case):
    from pathlib import Path

    from nni.experiment.config import ExperimentConfig

    path = Path(case["dir"]) / "config.yml"
    path.write_text(case["yaml"])
    return ExperimentConfig.load(str(path)).json()


def config_v1(case):
    # What `nnictl create` does with a v1 file: convert it, then build the v2 config, relative paths taken
    # from the config file's directory.
    import os

    import yaml
    from nni.experiment.config import ExperimentConfig
    from nni.experiment.config.convert import to_v2

    os.chdir(case["dir"])
    return ExperimentConfig(**to_v2(yaml.safe_load(case["yaml"]))).json()


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


KINDS = {"sampling": sampling, "hyperband": hyperband, "bohb": bohb, "grid": grid, "medianstop": medianstop,
         "config": config, "config_v1": config_v1}

if __name__ == "__main__":
    import logging

    logging.disable(logging.CRITICAL)
    request = json.load(sys.stdin)
    answer = {name: _plain(KINDS[case["kind"]](case)) for name, case in request.items()}
    print(json.dumps(answer))
