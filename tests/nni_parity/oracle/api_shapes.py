"""Run in either interpreter (the real NNI 3.0, or tunelab's venv through its ``nni`` module): connect NNI's
``Experiment`` API to the live experiment on the port given and print the shape of every record it returns,
as JSON (type names and field names; ids, times and values differ by run)."""

import dataclasses
import json
import sys

from nni.experiment import Experiment


def shape(value, depth=0):
    if dataclasses.is_dataclass(value):
        return {"@": type(value).__name__, **{f.name: shape(getattr(value, f.name), depth + 1)
                                             for f in dataclasses.fields(value)}}
    if isinstance(value, dict):
        return {str(k): shape(v, depth + 1) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [shape(value[0], depth + 1)] if value else []
    return type(value).__name__


def main(port):
    exp = Experiment.connect(port)
    jobs = exp.list_trial_jobs()
    first = sorted(jobs, key=lambda j: j.sequenceId)[0].trialJobId
    metrics = exp.get_job_metrics()
    profile = exp.get_experiment_profile()
    answer = {
        "status": exp.get_status(),
        "profile_keys": sorted(profile),
        "profile_params_keys": sorted(profile.get("params", {})),
        "list_trial_jobs": shape(sorted(jobs, key=lambda j: j.sequenceId)),
        "get_trial_job": shape(exp.get_trial_job(first)),
        "get_job_statistics": sorted((s["trialJobStatus"], s["trialJobNumber"]) for s in exp.get_job_statistics()),
        "get_job_metrics": shape(metrics[first]),
        "get_job_metrics_ids": sorted(metrics) == sorted(j.trialJobId for j in jobs),
        "export_data": shape(exp.export_data()),
    }
    print(json.dumps(answer))


if __name__ == "__main__":
    import logging

    logging.disable(logging.CRITICAL)
    main(int(sys.argv[1]))
