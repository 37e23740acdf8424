"""Item analysis: classical test theory, a 2PL IRT fit, plain-language flags and reports (numpy, no Flask)."""

from scoring.analysis.ability import AbilityEstimates, Linking, eap, link
from scoring.analysis.classical import ClassicalResult, classical_statistics
from scoring.analysis.irt import IrtFit, fit_2pl
from scoring.analysis.responses import AnalysisInputError, ItemInfo, ResponseMatrix

__all__ = [
    "AbilityEstimates",
    "AnalysisInputError",
    "ClassicalResult",
    "IrtFit",
    "ItemInfo",
    "Linking",
    "ResponseMatrix",
    "classical_statistics",
    "eap",
    "fit_2pl",
    "link",
]
