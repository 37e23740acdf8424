"""Item analysis: classical test theory, a 2PL IRT fit, plain-language flags and reports (numpy, no Flask)."""

from scoring.analysis.classical import ClassicalResult, classical_statistics
from scoring.analysis.irt import IrtFit, fit_2pl
from scoring.analysis.responses import AnalysisInputError, ItemInfo, ResponseMatrix

__all__ = [
    "AnalysisInputError",
    "ClassicalResult",
    "IrtFit",
    "ItemInfo",
    "ResponseMatrix",
    "classical_statistics",
    "fit_2pl",
]
