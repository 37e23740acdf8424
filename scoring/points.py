"""Points per subtest of one paper from its layout, the chosen options and the item versions' keys (pure).

Annulled item versions (*soal dianulir*) are applied here: ``award`` gives every candidate who saw the
question its best option's points whatever they chose; ``drop`` counts it as zero for everyone. An item's
score bounds (QTI mapping ``lowerBound``/``upperBound``) clamp what an answered question scores; a blank one
scores 0, as QTI's ``map_response`` template gives a NULL response.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

AWARD = "award"
DROP = "drop"
ANNUL_MODES = (AWARD, DROP)
Bounds = tuple[float | None, float | None]  # (lower, upper); None: unbounded on that side


def clamp(value: float, bounds: Bounds | None) -> float:
    """A question's points within its item's bounds, so another QTI tool and this one score the item alike."""
    if bounds is None:
        return value
    lower, upper = bounds
    if lower is not None and value < lower:
        value = float(lower)
    if upper is not None and value > upper:
        value = float(upper)
    return value


def subtest_points(
    layout: Mapping[str, Any],
    chosen: Mapping[int, int | None],
    points: Mapping[int, Mapping[int, float]],
    annulled: Mapping[int, str] | None = None,
    bounds: Mapping[int, Bounds] | None = None,
) -> dict[str, float]:
    """{subtest code: points} for a paper ``layout`` (``{"subtests": [{"code", "questions": [{"v", "o"}]}]}``).

    ``chosen``: item version id → chosen option id (absent or None = blank); ``points``: item version id →
    {option id: points}; ``annulled``: item version id → ``award`` | ``drop``; ``bounds``: item version id →
    (lower, upper), for the versions that have them. A chosen option that was not shown on this question, or is
    not an option of that version, scores 0 (a blank, not an answer: not clamped).
    """
    annulled = annulled or {}
    bounds = bounds or {}
    out: dict[str, float] = {}
    for sub in layout.get("subtests", []):
        total = 0.0
        for q in sub.get("questions", []):
            v = int(q["v"])
            opts = points.get(v, {})
            mode = annulled.get(v)
            if mode == AWARD:
                total += clamp(max(opts.values(), default=0.0), bounds.get(v))
                continue
            if mode == DROP:
                continue
            option = chosen.get(v)
            if option is not None and option in q.get("o", ()) and option in opts:
                total += clamp(float(opts[option]), bounds.get(v))
        out[str(sub["code"])] = out.get(str(sub["code"]), 0.0) + total
    return out


def layout_versions(layout: Mapping[str, Any]) -> set[int]:
    """Every item version id shown on a paper."""
    return {int(q["v"]) for sub in layout.get("subtests", []) for q in sub.get("questions", [])}
