"""Reading an NNI experiment directory (``~/nni-experiments/<id>/``): ``db/nni.sqlite`` and trial folders.

NNI keeps an event log, not a trial table (reference §8): ``TrialJobEvent`` rows (``WAITING`` carries the
``ParameterRecord`` JSON, later rows the status changes), ``MetricData`` rows (``data`` is the JSON of the
``nni.dump``-ed metric string, i.e. JSON inside JSON) and ``ExperimentProfile`` revisions (``params`` is
the config JSON). This module replays that log into plain records; it writes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunelab.base import InvalidInputError, NotFoundError

DB_RELATIVE = Path("db") / "nni.sqlite"
#: Trial folders: NNI 3.0 local (v3 trial keeper) first, then the v2 layout.
TRIAL_DIR_LAYOUTS = (Path("environments") / "local-env" / "trials", Path("trials"))
#: Log files of a trial folder -> tunelab's names.
LOG_FILES = {"trial.stdout": "stdout", "stdout": "stdout", "trial.stderr": "stderr", "stderr": "stderr",
             "trial.log": "trial.log"}
TERMINAL_EVENTS = frozenset({"SUCCEEDED", "FAILED", "USER_CANCELED", "SYS_CANCELED", "EARLY_STOPPED"})
STATUS_EVENTS = TERMINAL_EVENTS | {"WAITING", "RUNNING", "UNKNOWN"}


@dataclass
class NniMetric:
    kind: str  # 'PERIODICAL' or 'FINAL'
    sequence: int
    data: Any  # the decoded metric: a number or a dict
    timestamp: float  # seconds


@dataclass
class NniTrial:
    id: str
    sequence: int | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    source: str = "algorithm"
    status: str = "WAITING"
    created_at: float = 0.0
    started_at: float | None = None
    ended_at: float | None = None
    message: str = ""
    log_dir: Path | None = None
    metrics: list[NniMetric] = field(default_factory=list)


@dataclass
class NniExperiment:
    id: str
    directory: Path
    config: dict[str, Any]
    start_time: float | None
    end_time: float | None
    exec_duration: float
    trials: list[NniTrial]
    imported: list[dict[str, Any]]  # IMPORT_DATA records ({"parameter", "value"})
    skipped_metrics: int = 0


def read_nni_experiment(directory: str | Path) -> NniExperiment:
    """Replay ``directory/db/nni.sqlite``. Raises ``NotFoundError`` when it is not an NNI experiment
    directory and ``InvalidInputError`` when the database is not NNI's."""
    root = Path(directory).expanduser().resolve()
    db_path = root / DB_RELATIVE
    if not db_path.is_file():
        raise NotFoundError(f"{root}: no {DB_RELATIVE} here; give an NNI experiment directory such as "
                            "~/nni-experiments/<id>")
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InvalidInputError(f"{db_path}: cannot open it as SQLite ({exc})") from exc
    try:
        conn.row_factory = sqlite3.Row
        profile = _latest_profile(conn, db_path)
        trials, imported = _replay_events(conn)
        skipped = _attach_metrics(conn, trials)
    except sqlite3.Error as exc:
        raise InvalidInputError(f"{db_path}: not an NNI database ({exc}); expected the tables "
                                "TrialJobEvent, MetricData and ExperimentProfile") from exc
    finally:
        conn.close()
    for trial in trials.values():
        trial.log_dir = _trial_dir(root, trial.id)
    ordered = sorted(trials.values(), key=lambda t: (t.sequence is None, t.sequence or 0, t.created_at))
    return NniExperiment(
        id=str(profile["id"]), directory=root, config=_json_or(profile["params"], {}),
        start_time=_seconds(profile["startTime"]), end_time=_seconds(profile["endTime"]),
        exec_duration=float(profile["execDuration"] or 0), trials=ordered, imported=imported,
        skipped_metrics=skipped,
    )


def _latest_profile(conn: sqlite3.Connection, db_path: Path) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM ExperimentProfile ORDER BY revision DESC LIMIT 1").fetchone()
    if row is None:
        raise InvalidInputError(f"{db_path}: ExperimentProfile is empty; the experiment never started")
    return row


def _replay_events(conn: sqlite3.Connection) -> tuple[dict[str, NniTrial], list[dict[str, Any]]]:
    trials: dict[str, NniTrial] = {}
    imported: list[dict[str, Any]] = []
    rows = conn.execute("SELECT * FROM TrialJobEvent ORDER BY timestamp, rowid")
    for row in rows:
        event, trial_id = str(row["event"]), row["trialJobId"]
        if event == "IMPORT_DATA":
            data = _json_or(row["data"], [])
            imported.extend(r for r in (data if isinstance(data, list) else []) if isinstance(r, dict))
            continue
        if not trial_id:
            continue
        trial = trials.setdefault(str(trial_id), NniTrial(id=str(trial_id), created_at=_seconds(row["timestamp"]) or 0.0))
        _apply_event(trial, event, row)
    return trials, imported


def _apply_event(trial: NniTrial, event: str, row: sqlite3.Row) -> None:
    stamp = _seconds(row["timestamp"])
    if row["sequenceId"] is not None and trial.sequence is None:
        trial.sequence = int(row["sequenceId"])
    record = _json_or(row["data"], None)
    if isinstance(record, dict) and "parameters" in record:
        trial.parameters = dict(record.get("parameters") or {})
        trial.source = str(record.get("parameter_source") or trial.source)
    if event == "ADD_CUSTOMIZED":
        trial.source = "customized"
    if event not in STATUS_EVENTS:
        return
    trial.status = event
    if event == "RUNNING" and trial.started_at is None:
        trial.started_at = stamp
    if event in TERMINAL_EVENTS:
        trial.ended_at = stamp
        trial.message = str(row["message"] or "")


def _attach_metrics(conn: sqlite3.Connection, trials: dict[str, NniTrial]) -> int:
    skipped = 0
    for row in conn.execute("SELECT * FROM MetricData ORDER BY timestamp, rowid"):
        trial = trials.get(str(row["trialJobId"]))
        kind = str(row["type"])
        if trial is None or kind not in ("PERIODICAL", "FINAL"):
            skipped += 1
            continue
        trial.metrics.append(NniMetric(kind, int(row["sequence"] or 0), decode_metric(row["data"]),
                                       _seconds(row["timestamp"]) or 0.0))
    return skipped


def decode_metric(raw: Any) -> Any:
    """The metric value of a ``MetricData.data`` cell: JSON of the ``nni.dump`` string (JSON in JSON),
    also accepted once-encoded."""
    value = raw
    for _ in range(2):
        if not isinstance(value, str):
            break
        try:
            value = json.loads(value)
        except ValueError:
            break
    return value


def _trial_dir(root: Path, trial_id: str) -> Path | None:
    for layout in TRIAL_DIR_LAYOUTS:
        candidate = root / layout / trial_id
        if candidate.is_dir():
            return candidate
    return None


def _seconds(milliseconds: Any) -> float | None:
    return None if milliseconds is None else float(milliseconds) / 1000.0


def _json_or(text: Any, default: Any) -> Any:
    if text is None:
        return default
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default
