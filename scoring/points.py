"""Points per subtest of one paper from its layout, the chosen options and the item versions' keys (pure).

Annulled item versions (*soal dianulir*) are applied here: ``award`` gives every candidate who saw the
question its best option's points (a multiple-response question: the sum of its positive options) whatever they
chose; ``drop`` counts it as zero for everyone. A multiple-response answer scores the sum of its chosen options'
points, as QTI's ``mapResponse`` does. An item's score bounds (QTI mapping ``lowerBound``/``upperBound``) clamp
what an answered question scores; a blank one (no option, or an empty set) scores 0, as QTI's ``map_response``
template gives a NULL response.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
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


Choice = int | Collection[int] | None  # one option id, a multiple-response answer's set, or a blank


def stored_choice(option_id: int | None, option_ids: Collection[int] | None) -> Choice:
    """An answer row's choice: its option, its set of options (a multiple-response question), or None (blank)."""
    if option_id is not None:
        return option_id
    return tuple(sorted(option_ids)) if option_ids else None


def question_points(
    q: Mapping[str, Any], choice: Choice, opts: Mapping[int, float], bounds: Bounds | None = None
) -> float:
    """One question's points: the sum of its chosen options shown on it, clamped to the bounds; a blank is 0."""
    if choice is None:
        return 0.0
    if isinstance(choice, int):  # the common case, without building lists (a whole exam is millions of these)
        return clamp(float(opts[choice]), bounds) if choice in q.get("o", ()) and choice in opts else 0.0
    picked = (choice,) if isinstance(choice, int) else sorted(set(choice or ()))
    shown = q.get("o", ())
    valid = [o for o in picked if o in shown and o in opts]
    if not valid:  # nothing chosen that the question showed: a blank, not an answer (not clamped)
        return 0.0
    return clamp(sum(float(opts[o]) for o in valid), bounds)


def best_points(q: Mapping[str, Any], opts: Mapping[int, float], bounds: Bounds | None = None) -> float:
    """What an awarded (annulled) question gives: its best option, or every positive option of a multiple one."""
    if q.get("m"):
        return clamp(sum(p for p in opts.values() if p > 0), bounds)
    return clamp(max(opts.values(), default=0.0), bounds)


def subtest_points(
    layout: Mapping[str, Any],
    chosen: Mapping[int, Choice],
    points: Mapping[int, Mapping[int, float]],
    annulled: Mapping[int, str] | None = None,
    bounds: Mapping[int, Bounds] | None = None,
) -> dict[str, float]:
    """{subtest code: points} for a paper ``layout`` (``{"subtests": [{"code", "questions": [{"v", "o", "m"?}]}]}``).

    ``chosen``: item version id → chosen option id, or a set of them on a multiple-response question (absent,
    None or empty = blank); ``points``: item version id → {option id: points}; ``annulled``: item version id →
    ``award`` | ``drop``; ``bounds``: item version id → (lower, upper), for the versions that have them. A chosen
    option that was not shown on this question, or is not an option of that version, scores 0 (a blank, not an
    answer: not clamped).
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
                total += best_points(q, opts, bounds.get(v))
            elif mode != DROP:
                total += question_points(q, chosen.get(v), opts, bounds.get(v))
        out[str(sub["code"])] = out.get(str(sub["code"]), 0.0) + total
    return out


def layout_versions(layout: Mapping[str, Any]) -> set[int]:
    """Every item version id shown on a paper."""
    return {int(q["v"]) for sub in layout.get("subtests", []) for q in sub.get("questions", [])}
