"""How a manager session opens an experiment."""

from __future__ import annotations

from enum import Enum


class Mode(str, Enum):
    CREATE = "create"
    RESUME = "resume"
    VIEW = "view"
