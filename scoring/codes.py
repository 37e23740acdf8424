"""Result codes exactly as BKN announcements print them, and how a candidate's outcome maps to one."""

from __future__ import annotations

import numpy as np

# SKD stage
P = "P"  # passed every passing grade (memenuhi nilai ambang batas), not within the SKB slots
PL = "P/L"  # passed and ranked within N × quota: goes on to SKB
TL = "TL"  # did not pass a passing grade (tidak lulus)
TH = "TH"  # absent (tidak hadir)
SKD_CODES = {
    P: "passed the passing grades",
    PL: "passed and goes on",
    TL: "did not pass",
    TH: "absent",
}

# final (integrated) stage
FINAL_PL = "P/L"  # selected (lulus)
FINAL_PTL = "P/TL"  # met every requirement but ranked beyond the formation's quota
TMS = "TMS"  # did not meet a requirement (tidak memenuhi syarat): failed a grade, or no SKB score
FINAL_TH = "TH"  # absent at SKB
APS = "APS"  # withdrew (atas permintaan sendiri)
FINAL_CODES = {
    FINAL_PL: "selected",
    FINAL_PTL: "met the requirements, beyond the quota",
    TMS: "did not meet a requirement",
    FINAL_TH: "absent",
    APS: "withdrew",
}


def skd_codes(passed: np.ndarray, advances: np.ndarray, absent: np.ndarray | None = None) -> np.ndarray:
    """The SKD code per candidate: TH if absent, else TL if not passed, else P/L if advancing, else P."""
    out = np.where(passed, np.where(advances, PL, P), TL).astype("<U4")
    if absent is not None:
        out[absent] = TH
    return out
