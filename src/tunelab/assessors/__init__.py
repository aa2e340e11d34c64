"""Assessors: early-stopping rules (median stop, curve fitting, ASHA) over intermediate results."""

from tunelab.assessors._asha import AshaAssessor
from tunelab.assessors._base import Assessor
from tunelab.assessors._curvefitting import CurvefittingAssessor, predict_curve
from tunelab.assessors._custom import NniAssessorAdapter, load_custom_assessor
from tunelab.assessors._medianstop import MedianstopAssessor
from tunelab.assessors._registry import builtin_assessors, create_assessor_from_config, register_assessor

register_assessor("Medianstop", MedianstopAssessor, "MedianstopAssessor", "MedianStop")
register_assessor("Curvefitting", CurvefittingAssessor, "CurvefittingAssessor")
register_assessor("ASHA", AshaAssessor, "AshaAssessor", "SuccessiveHalving")

__all__ = [
    "AshaAssessor",
    "Assessor",
    "CurvefittingAssessor",
    "MedianstopAssessor",
    "NniAssessorAdapter",
    "builtin_assessors",
    "create_assessor_from_config",
    "load_custom_assessor",
    "predict_curve",
    "register_assessor",
]
