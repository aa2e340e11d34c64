"""The three calls a training script adds, plus NNI's id helpers (stdlib + tunelab.base only).

Inside a trial the manager has already chosen the parameters and put them in the environment, so
``get_next_parameter()`` costs no round trip. Every report is appended to the trial's metrics file (durable,
read by the manager when the process ends or after a manager crash) and sent on the live channel (a local
socket) when one is configured. A script run outside an experiment gets ``{}`` and its reports are logged.
"""

from __future__ import annotations

import os
import time

from tunelab.base import DEFAULT_METRIC_KEY as DEFAULT_KEY
from tunelab.base import MAX_METRIC_BYTES, final_problem, jsonable_metric, scalar_of
from tunelab.base import env as _env
from tunelab.trial_api import _json_lite

# Trial processes start often, so this module avoids importing json, typing, logging, socket and warnings
# at import time (about 20 ms together); each is loaded only on the path that needs it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from _socket import socket as Socket
    from typing import Any

STANDALONE = "STANDALONE"


class _TrialSession:
    """Process-wide state of the trial API: parameters, counters and the metric channel."""

    def __init__(self, environ: dict[str, str] | os._Environ[str]) -> None:
        self.trial_id = environ.get(_env.TRIAL_ID) or environ.get("NNI_TRIAL_JOB_ID") or ""
        self.experiment_id = environ.get(_env.EXPERIMENT_ID) or environ.get("NNI_EXP_ID") or ""
        self.sequence_id = _int_or_zero(environ.get(_env.SEQUENCE_ID) or environ.get("NNI_TRIAL_SEQ_ID"))
        self.in_experiment = bool(self.trial_id)
        self._environ = environ
        self.parameters: dict[str, Any] | None = None
        self.intermediate_seq = 0
        self.final_reported = False
        self._metrics_fd: int | None = None
        self._sock: Socket | None = None
        self._next_connect = 0.0
        self._warned_standalone = False
        self._objectives: list[str] | None = None

    # -- parameters --------------------------------------------------------------------------------------
    def next_parameters(self) -> dict[str, Any]:
        if not self.in_experiment:
            if not self._warned_standalone:
                self._warned_standalone = True
                import warnings

                warnings.warn(
                    "Running trial code without tunelab (no experiment in the environment): "
                    "get_next_parameter() returns {}. Start it with `tunelab run CONFIG` to tune it.",
                    RuntimeWarning,
                    stacklevel=3,
                )
            self.parameters = {}
            return {}
        if self.parameters is None:
            self.parameters = self._load_parameters()
        return dict(self.parameters)

    def _load_parameters(self) -> dict[str, Any]:
        inline = self._environ.get(_env.PARAMETERS)
        if inline is not None:
            return dict(_json_lite.loads(inline))
        path = self._environ.get(_env.PARAMETER_FILE)
        if path:
            with open(path, encoding="utf-8") as handle:
                return dict(_json_lite.loads(handle.read()))
        return {}

    def close(self) -> None:
        """Release the channel socket and the metrics file (the process exit does it otherwise)."""
        _close_session_resources(self)

    # -- metrics -----------------------------------------------------------------------------------------
    def objectives(self) -> list[str]:
        """The keys a final result must hold (primary first); empty for a single-objective experiment."""
        if self._objectives is None:
            raw = self._environ.get(_env.OBJECTIVES)
            self._objectives = [str(name) for name in _json_lite.loads(raw)] if raw else []
        return self._objectives

    def report(self, kind: str, metric: Any) -> None:
        names = self.objectives()
        if kind == "FINAL" and names:
            from tunelab.base import objective_metric_problem

            problem = objective_metric_problem(metric, names)
            if problem is not None:
                raise TypeError(problem)
        scalar = scalar_of(metric, names[0] if names else DEFAULT_KEY)  # TypeError with a clear message
        if kind == "FINAL":
            if self.final_reported:
                import warnings

                warnings.warn(
                    "report_final_result() was called more than once; the first final result is kept "
                    f"and this one ({scalar}) is ignored",
                    RuntimeWarning,
                    stacklevel=3,
                )
                return
            self.final_reported = True
            sequence = 0
            problem = final_problem(scalar)
            if problem is not None:  # sent all the same: the manager records it and fails the trial
                import warnings

                warnings.warn(f"{problem}; this trial will be marked FAILED", RuntimeWarning, stacklevel=3)
        else:
            sequence = self.intermediate_seq
            self.intermediate_seq += 1
        if not self.in_experiment:
            logger = _standalone_logger()
            if kind == "FINAL":
                logger.info("Final result: %s", metric)
            else:
                logger.info("Intermediate result: %s  (Index %d)", metric, sequence)
            return
        payload = {"trial": self.trial_id, "kind": kind, "seq": sequence, "value": jsonable_metric(metric),
                   "ts": time.time()}
        line = (_json_lite.dumps(payload) + "\n").encode()
        if len(line) > MAX_METRIC_BYTES:
            raise ValueError(f"metric too long: {len(line)} bytes serialized, the limit is {MAX_METRIC_BYTES}")
        self._append(line)
        self._send(line)

    def _append(self, line: bytes) -> None:
        if self._metrics_fd is None:
            path = self._environ.get(_env.METRICS_FILE)
            if not path:
                return
            self._metrics_fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        os.write(self._metrics_fd, line)

    def _hello(self) -> bytes:
        """The line that opens each connection: it proves to the manager that this is the trial."""
        key = self._environ.get(_env.CHANNEL_KEY)
        return (_json_lite.dumps({"hello": self.trial_id, "key": key}) + "\n").encode() if key else b""

    def _send(self, line: bytes) -> None:
        address = self._environ.get(_env.CHANNEL, "")
        if not address.startswith("unix:"):
            return
        if self._sock is None:
            now = time.monotonic()
            if now < self._next_connect:
                return  # the manager is away; the metrics file keeps the value for its return
            try:
                self._sock = _connect(address[len("unix:"):], self._hello())
            except OSError:
                self._next_connect = now + 1.0
                return
        try:
            self._sock.sendall(line)
        except OSError:
            self._sock.close()
            self._sock = None
            self._next_connect = 0.0


def _close_session_resources(session: _TrialSession) -> None:
    if session._sock is not None:
        session._sock.close()
        session._sock = None
    if session._metrics_fd is not None:
        os.close(session._metrics_fd)
        session._metrics_fd = None


def _connect(path: str, hello: bytes) -> Socket:
    # The C module is enough for connect/sendall and imports in microseconds, unlike `socket`.
    import _socket

    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect("\0" + path[1:] if path.startswith("@") else path)
        if hello:
            sock.sendall(hello)
    except OSError:
        sock.close()
        raise
    return sock


def _int_or_zero(value: str | None) -> int:
    try:
        return int(value) if value else 0
    except ValueError:
        return 0


def _standalone_logger() -> logging.Logger:
    """The logger of standalone reports. NNI prints them; a bare script has no logging configured, so
    it gets a stdout handler unless the application configured logging itself."""
    import logging
    import sys

    logger = logging.getLogger("tunelab.trial")
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("[%(asctime)s] %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    return logger


_session: _TrialSession | None = None


def _current() -> _TrialSession:
    global _session
    if _session is None:
        _session = _TrialSession(os.environ)
    return _session


def _reset_for_tests() -> None:
    """Close and forget the process-wide session (tests that change the environment call this)."""
    global _session
    if _session is not None:
        _session.close()
    _session = None


def get_next_parameter() -> dict[str, Any]:
    """Return this trial's hyperparameters (``{}`` with one warning outside an experiment)."""
    return _current().next_parameters()


get_next_parameters = get_next_parameter


def get_current_parameter(tag: str | None = None) -> Any:
    """The parameters last returned by :func:`get_next_parameter` (or one of them); ``None`` before it."""
    params = _current().parameters
    if params is None:
        return None
    return params if tag is None else params[tag]


def report_intermediate_result(metric: Any) -> None:
    """Report a per-epoch result: a number, or a dict whose ``'default'`` is a number."""
    _current().report("PERIODICAL", metric)


def report_final_result(metric: Any) -> None:
    """Report the trial's result (once; a second call warns and is ignored)."""
    _current().report("FINAL", metric)


def get_experiment_id() -> str:
    return _current().experiment_id or STANDALONE


def get_trial_id() -> str:
    return _current().trial_id or STANDALONE


def get_sequence_id() -> int:
    return _current().sequence_id
