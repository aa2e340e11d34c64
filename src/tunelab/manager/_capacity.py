"""Whether a trial concurrency fits the machine that runs the trials (local platform only)."""

from __future__ import annotations

import os

from tunelab.config import ExperimentConfig


def concurrency_warning(config: ExperimentConfig, concurrency: int | None = None) -> str | None:
    """A one-line warning when local trials at ``concurrency`` (default: the config's) would outnumber this
    machine's CPU cores, or, for GPU trials, its GPU slots; None when they fit or trials run elsewhere.

    A warning, not an error: trials that mostly wait (I/O, remote services) may run many per core, and
    GPU trials beyond the slots simply wait for one. Concurrency above ``MAX_TRIAL_CONCURRENCY`` is
    refused by the config check, not here.
    """
    service = config.training_service
    if getattr(service, "platform", "local") != "local":
        return None
    wanted = config.trial_concurrency if concurrency is None else concurrency
    if not wanted:
        return None
    gpus_per_trial = int(config.trial_gpu_number or 0)
    if gpus_per_trial > 0:
        from tunelab.runners import detect_gpus

        per_gpu = int(getattr(service, "max_trial_number_per_gpu", 1) or 1)
        slots = len(detect_gpus()) * per_gpu // gpus_per_trial
        if wanted > slots:
            return (f"trialConcurrency {wanted} is more than the {slots} trial(s) this machine's GPUs hold "
                    f"at trialGpuNumber {gpus_per_trial}; the others wait for a free GPU")
        return None
    cores = os.cpu_count() or 1
    if wanted > cores:
        return (f"trialConcurrency {wanted} is more than this machine's {cores} CPU cores; trials will "
                "compete for them (lower it with `tunelab update ID concurrency N`)")
    return None
