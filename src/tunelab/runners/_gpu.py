"""GPU discovery through ``nvidia-smi`` and slot bookkeeping for local trials (NNI's rules)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GpuInfo:
    index: int
    busy: bool  # a compute process not started by tunelab is using it


def detect_gpus(timeout: float = 10.0) -> list[GpuInfo]:
    """List GPUs via ``nvidia-smi``; [] when it is absent or fails (no GPU scheduling possible)."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        gpus = _query(exe, ["--query-gpu=index,uuid", "--format=csv,noheader,nounits"], timeout)
        apps = _query(exe, ["--query-compute-apps=gpu_uuid,pid", "--format=csv,noheader,nounits"], timeout)
    except (OSError, subprocess.SubprocessError):
        return []
    busy_uuids = {row[0] for row in apps if row}
    result = []
    for row in gpus:
        if len(row) >= 2 and row[0].isdigit():
            result.append(GpuInfo(index=int(row[0]), busy=row[1] in busy_uuids))
    return result


def _query(exe: str, args: list[str], timeout: float) -> list[list[str]]:
    out = subprocess.run([exe, *args], capture_output=True, text=True, timeout=timeout, check=True).stdout
    return [[cell.strip() for cell in line.split(",")] for line in out.splitlines() if line.strip()]


class GpuSlots:
    """Which GPU indices a trial may use: ``gpuIndices`` limit the set, each GPU takes up to
    ``maxTrialNumberPerGpu`` trials, and with ``useActiveGpu: false`` GPUs busy with other programs are
    skipped (checked again at each allocation, since other programs come and go)."""

    def __init__(
        self,
        *,
        gpu_indices: Sequence[int] | None,
        max_trials_per_gpu: int,
        use_active_gpu: bool,
    ) -> None:
        self._allowed = None if gpu_indices is None else set(gpu_indices)
        self._per_gpu = max(1, max_trials_per_gpu)
        self._use_active = use_active_gpu
        self._in_use: dict[int, int] = {}

    def _candidates(self) -> list[int]:
        gpus = detect_gpus()
        return [
            g.index
            for g in gpus
            if (self._allowed is None or g.index in self._allowed)
            and (self._use_active or not g.busy or self._in_use.get(g.index, 0) > 0)
        ]

    def try_allocate(self, count: int) -> tuple[int, ...] | None:
        """Reserve ``count`` GPUs (least loaded first) or return None when not enough are free."""
        free = [i for i in self._candidates() if self._in_use.get(i, 0) < self._per_gpu]
        if len(free) < count:
            return None
        chosen = tuple(sorted(free, key=lambda i: (self._in_use.get(i, 0), i))[:count])
        for index in chosen:
            self._in_use[index] = self._in_use.get(index, 0) + 1
        return chosen

    def release(self, gpus: Sequence[int]) -> None:
        for index in gpus:
            left = self._in_use.get(index, 0) - 1
            if left > 0:
                self._in_use[index] = left
            else:
                self._in_use.pop(index, None)

    def total(self) -> int:
        return len(self._candidates())


def gpu_request_problem(gpu_number: int | None, gpu_indices: Sequence[int] | None,
                        gpus: Sequence[GpuInfo] | None = None) -> str | None:
    """Why ``trialGpuNumber`` GPUs (from ``gpuIndices``) can never be given on this machine, or None.

    Checked before an experiment is made: without it a trial waits forever for a GPU that does not exist.
    GPUs busy with other programs are not a problem here (they free up); absent ones never appear.
    """
    if not gpu_number:
        return None
    found = detect_gpus() if gpus is None else list(gpus)
    if not found:
        return (f"trialGpuNumber: {gpu_number}, but nvidia-smi found no GPU on this machine; set trialGpuNumber: 0 "
                "(or remove it) to run trials without a GPU, or run on a machine with an NVIDIA GPU and driver")
    present = sorted(g.index for g in found)
    listed = ", ".join(str(i) for i in present)
    if gpu_indices is not None:
        missing = [i for i in gpu_indices if i not in present]
        if missing:
            return (f"trainingService.gpuIndices {missing} not present: nvidia-smi lists GPU {listed}; "
                    "use indices from that list, or remove gpuIndices to use every GPU")
        usable = [i for i in present if i in set(gpu_indices)]
    else:
        usable = present
    if len(usable) < gpu_number:
        return (f"trialGpuNumber: {gpu_number}, but only {len(usable)} GPU(s) can be used ({', '.join(map(str, usable))} "
                f"of {listed}); lower trialGpuNumber or allow more GPUs in gpuIndices")
    return None
