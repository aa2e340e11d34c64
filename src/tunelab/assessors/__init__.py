"""Assessors: early-stopping rules (median stop, curve fitting, ASHA) over intermediate results."""

from tunelab.assessors._base import Assessor
from tunelab.assessors._registry import builtin_assessors, create_assessor_from_config, register_assessor

__all__ = ["Assessor", "builtin_assessors", "create_assessor_from_config", "register_assessor"]
