"""How the CLI and the Python API reach an experiment: the live manager's REST API, or its database read-only."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any, Protocol

from tunelab.base import ConflictError, ErrorCode, NotFoundError, TunelabError
from tunelab.manager import (
    ManagerInfo,
    best_json,
    best_trial,
    counts,
    export_csv,
    export_records,
    failures_json,
    find_experiment_dir,
    objective_spec_of,
    optimize_mode_of,
    pareto_json,
    read_info,
    trial_json,
)
from tunelab.server import TOKEN_HEADER
from tunelab.storage import ExperimentStore, open_store, recorded_storage


class Backend(Protocol):
    experiment_id: str
    live: bool

    def experiment(self) -> dict[str, Any]: ...
    def trials(self) -> list[dict[str, Any]]: ...
    def best(self) -> dict[str, Any] | None: ...
    def export(self, fmt: str, intermediate: bool) -> Any: ...
    def log(self, trial_id: str, name: str, tail: int | None) -> str: ...
    def importance(self) -> dict[str, Any]: ...
    def close(self) -> None: ...


def connect(experiment_id: str) -> Backend:
    """The live manager when one serves the experiment, else the stored experiment."""
    exp_dir = find_experiment_dir(experiment_id)
    info = read_info(exp_dir)
    if info is not None:
        return LiveBackend(experiment_id, info)
    return OfflineBackend(experiment_id, exp_dir)


def storage_of(exp_dir: Path) -> str | Path:
    """Where the experiment's database is: a PostgreSQL URL recorded at creation, or the directory."""
    return recorded_storage(exp_dir) or exp_dir


class LiveBackend:
    live = True

    def __init__(self, experiment_id: str, info: ManagerInfo) -> None:
        self.experiment_id = experiment_id
        self.info = info
        import httpx  # only commands that reach a live manager pay for it

        headers = {TOKEN_HEADER: info.token} if info.token else {}
        host = "127.0.0.1" if info.host in ("0.0.0.0", "::") else info.host
        self._client = httpx.Client(base_url=f"http://{host}:{info.port}", headers=headers, timeout=30.0)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = self._client.request(method, f"/api/v1{path}", **kwargs)
        except httpx.HTTPError as exc:
            raise TunelabError(f"cannot reach the manager of {self.experiment_id} at {self.info.url}: {exc}") from exc
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                raise TunelabError(error["message"], code=_code(error.get("code")))
            except (ValueError, KeyError, TypeError):
                raise TunelabError(f"manager answered HTTP {response.status_code}: {response.text[:200]}") from None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.text

    def experiment(self) -> dict[str, Any]:
        return dict(self.request("GET", "/experiment"))

    def trials(self) -> list[dict[str, Any]]:
        return list(self.request("GET", "/trials", params={"limit": 10_000})["trials"])

    def best(self) -> dict[str, Any] | None:
        result = self.request("GET", "/best")
        return dict(result) if result else None

    def export(self, fmt: str, intermediate: bool) -> Any:
        return self.request("GET", "/export", params={"format": fmt, "intermediate": intermediate})

    def log(self, trial_id: str, name: str, tail: int | None) -> str:
        params = {"tail": tail} if tail else {"length": 4 * 1024 * 1024}
        return str(self.request("GET", f"/trials/{trial_id}/logs/{name}", params=params)["text"])

    def importance(self) -> dict[str, Any]:
        return dict(self.request("GET", "/charts/importance"))

    def stop(self, timeout: float = 60.0) -> None:
        if self.info.mode == "view":
            _terminate(self.info.pid)
        else:
            self.request("POST", "/experiment/stop")
        deadline = time.monotonic() + timeout
        exp_dir = find_experiment_dir(self.experiment_id)
        while read_info(exp_dir) is not None and time.monotonic() < deadline:
            time.sleep(0.1)  # CLI waiting for another process to exit: nothing to await

    def close(self) -> None:
        self._client.close()


class OfflineBackend:
    live = False

    def __init__(self, experiment_id: str, exp_dir: Path) -> None:
        self.experiment_id = experiment_id
        self.exp_dir = exp_dir
        self.store: ExperimentStore = open_store(storage_of(exp_dir), experiment_id, readonly=True)

    def experiment(self) -> dict[str, Any]:
        record = self.store.get_experiment()
        mode = optimize_mode_of(record.config)
        best = best_trial(self.store, mode)
        spec = objective_spec_of(record.config)
        return {
            "pareto": pareto_json(self.store.list_trials(), spec) if spec is not None and spec.multi else None,
            "id": record.id, "name": record.name, "status": record.status.value, "error": record.error,
            "read_only": True, "created_at": record.created_at, "run_started_at": record.run_started_at,
            "ended_at": record.ended_at, "elapsed": record.elapsed, "optimize_mode": mode,
            "config": dict(record.config), "counts": counts(self.store),
            "failures": failures_json(self.store, record.id),
            "best": trial_json(best) if best else None, "experiment_dir": str(self.exp_dir),
        }

    def trials(self) -> list[dict[str, Any]]:
        return [trial_json(t) for t in self.store.list_trials()]

    def best(self) -> dict[str, Any] | None:
        spec = objective_spec_of(self.store.get_experiment().config)
        if spec is not None and spec.multi:
            front = pareto_json(self.store.list_trials(), spec)
            return front if front["front"] else None
        return best_json(best_trial(self.store))

    def export(self, fmt: str, intermediate: bool) -> Any:
        if fmt == "csv":
            return export_csv(self.store, intermediate=intermediate)
        return export_records(self.store, intermediate=intermediate)

    def log(self, trial_id: str, name: str, tail: int | None) -> str:
        self.store.get_trial(trial_id)
        path = self.exp_dir / "trials" / trial_id / name
        if not path.exists():
            return ""
        data = path.read_bytes()
        return (data[-tail:] if tail else data).decode("utf-8", errors="replace")

    def importance(self) -> dict[str, Any]:
        from tunelab.analysis import parameter_importance

        return parameter_importance(self.store.list_trials())

    def close(self) -> None:
        self.store.close()


def _code(value: Any) -> ErrorCode:
    try:
        return ErrorCode(value)
    except ValueError:
        return ErrorCode.RUNTIME


def _terminate(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    except PermissionError as exc:
        raise ConflictError(f"cannot stop manager pid {pid}: permission denied") from exc


__all__ = ["Backend", "LiveBackend", "NotFoundError", "OfflineBackend", "connect", "storage_of"]
