"""Where an experiment kept in PostgreSQL records its database URL: ``storage.json`` beside its logs."""

from __future__ import annotations

import json
import os
from pathlib import Path

STORAGE_POINTER = "storage.json"


def recorded_storage(exp_dir: Path) -> str | None:
    """The PostgreSQL URL an experiment was created with, or None for the default SQLite file."""
    pointer = exp_dir / STORAGE_POINTER
    if not pointer.exists():
        return None
    try:
        value = json.loads(pointer.read_text(encoding="utf-8")).get("storage")
    except (OSError, ValueError, AttributeError):
        return None
    return str(value) if value else None


def record_storage(exp_dir: Path, url: str) -> None:
    pointer = exp_dir / STORAGE_POINTER
    pointer.write_text(json.dumps({"storage": url}), encoding="utf-8")
    os.chmod(pointer, 0o600)  # the URL may carry a password
