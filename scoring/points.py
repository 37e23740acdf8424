"""Points per subtest of one paper from its layout, the chosen options and the item versions' keys (pure).

Annulled item versions (*soal dianulir*) are applied here: ``award`` gives every candidate who saw the
question its best option's points whatever they chose; ``drop`` counts it as zero for everyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

AWARD = "award"
DROP = "drop"
ANNUL_MODES = (AWARD, DROP)


def subtest_points(
    layout: Mapping[str, Any],
    chosen: Mapping[int, int | None],
    points: Mapping[int, Mapping[int, float]],
    annulled: Mapping[int, str] | None = None,
) -> dict[str, float]:
    """{subtest code: points} for a paper ``layout`` (``{"subtests": [{"code", "questions": [{"v", "o"}]}]}``).

    ``chosen``: item version id → chosen option id (absent or None = blank); ``points``: item version id →
    {option id: points}; ``annulled``: item version id → ``award`` | ``drop``. A chosen option that was not
    shown on this question, or is not an option of that version, scores 0.
    """
    annulled = annulled or {}
    out: dict[str, float] = {}
    for sub in layout.get("subtests", []):
        total = 0.0
        for q in sub.get("questions", []):
            v = int(q["v"])
            opts = points.get(v, {})
            mode = annulled.get(v)
            if mode == AWARD:
                total += max(opts.values(), default=0.0)
                continue
            if mode == DROP:
                continue
            option = chosen.get(v)
            if option is not None and option in q.get("o", ()) and option in opts:
                total += float(opts[option])
        out[str(sub["code"])] = out.get(str(sub["code"]), 0.0) + total
    return out


def layout_versions(layout: Mapping[str, Any]) -> set[int]:
    """Every item version id shown on a paper."""
    return {int(q["v"]) for sub in layout.get("subtests", []) for q in sub.get("questions", [])}
