"""Pass/fail against the passing grades (*nilai ambang batas*): one candidate at submit, or millions at once.

Both paths read the same :class:`scoring.presets.Rules`, so a candidate's live result and the
committee's batch re-grade can never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring.presets import GENERAL, Rules, RulesError, normalise_path, resolve_rules

EPS = 1e-9  # float sums of fractional points must not fail a threshold they meet exactly


def fmt_score(value: float) -> str:
    """150.0 → "150", 150.5 → "150.5" (at most 3 decimals): how scores read in reasons and exports."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class GradeOutcome:
    """One candidate's graded score: total, per-subtest scores, pass/fail and why not."""

    total: float
    subtests: dict[str, float]
    passed: bool
    reasons: list[str]  # human-readable, e.g. "TKP 150 < 166"; empty when passed


def _check_scores(subtest_scores: Mapping[str, float], rules: Rules) -> dict[str, float]:
    missing = [s for s in rules.subtests if s not in subtest_scores]
    if missing:
        raise RulesError(f"no score for subtest(s) {', '.join(missing)} required by {rules.name}")
    extra = [s for s in subtest_scores if s not in rules.subtests]
    if extra:
        known = ", ".join(rules.subtests)
        raise RulesError(f"score for subtest(s) {', '.join(map(str, extra))} not in {rules.name} ({known})")
    out: dict[str, float] = {}
    for code in rules.subtests:
        value = subtest_scores[code]
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise RulesError(f"score for {code} must be a number, got {value!r}")
        f = float(value)
        if not math.isfinite(f):
            raise RulesError(f"score for {code} must be finite, got {value!r}")
        out[code] = f
    return out


def grade(
    subtest_scores: Mapping[str, float],
    rules: str | Mapping[str, Any] | Rules = "skd-2024",
    entry_path: str = GENERAL,
) -> GradeOutcome:
    """Grade one candidate's subtest scores under ``rules`` for their ``entry_path``."""
    resolved = resolve_rules(rules)
    scores = _check_scores(subtest_scores, resolved)
    path = resolved.path(entry_path)
    total = float(sum(scores.values()))
    reasons = [
        f"{code} {fmt_score(scores[code])} < {fmt_score(minimum)}"
        for code in resolved.subtests
        if (minimum := path.minimums.get(code)) is not None and scores[code] + EPS < minimum
    ]
    if path.total_min is not None and total + EPS < path.total_min:
        reasons.append(f"total {fmt_score(total)} < {fmt_score(path.total_min)}")
    return GradeOutcome(total=total, subtests=scores, passed=not reasons, reasons=reasons)


@dataclass(frozen=True)
class GradeArrays:
    """Vectorised grading output; bit ``i`` of ``short`` = subtest ``i`` fell short, bit ``k`` = the total."""

    total: np.ndarray  # float64 (n,)
    passed: np.ndarray  # bool (n,)
    short: np.ndarray  # uint32 (n,) bit mask


def path_codes(entry_paths: Sequence[str | None], rules: Rules) -> tuple[np.ndarray, list[str]]:
    """Map entry path strings to indices into a path-name list; :class:`RulesError` names an unknown one."""
    names: list[str] = []
    index: dict[str, int] = {}
    codes = np.empty(len(entry_paths), dtype=np.int32)
    for i, raw in enumerate(entry_paths):
        key = normalise_path(raw)
        j = index.get(key)
        if j is None:
            rules.path(key)  # raises for an unknown path
            j = index[key] = len(names)
            names.append(key)
        codes[i] = j
    return codes, names


def threshold_table(rules: Rules, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(P, k) subtest minimums and (P,) total minimums for the listed paths; −inf where none applies."""
    mins = np.full((len(names), len(rules.subtests)), -np.inf)
    totals = np.full(len(names), -np.inf)
    for p, name in enumerate(names):
        rule = rules.path(name)
        for s, code in enumerate(rules.subtests):
            if code in rule.minimums:
                mins[p, s] = rule.minimums[code]
        if rule.total_min is not None:
            totals[p] = rule.total_min
    return mins, totals


def grade_matrix(
    scores: np.ndarray,
    rules: str | Mapping[str, Any] | Rules = "skd-2024",
    path_index: np.ndarray | None = None,
    path_names: Sequence[str] = (GENERAL,),
) -> GradeArrays:
    """Grade an (n, k) score matrix (columns in ``rules.subtests`` order) for n candidates at once."""
    resolved = resolve_rules(rules)
    scores = np.asarray(scores, dtype=np.float64)
    k = len(resolved.subtests)
    if scores.ndim != 2 or scores.shape[1] != k:
        raise RulesError(f"scores must be an (n, {k}) matrix for {', '.join(resolved.subtests)}; got {scores.shape}")
    n = scores.shape[0]
    if path_index is None:
        path_index = np.zeros(n, dtype=np.int32)
    mins, total_mins = threshold_table(resolved, path_names)
    total = scores.sum(axis=1)
    if len(path_names) == 1:  # the common case: no gather needed
        below = scores + EPS < mins[0]
        total_short = total + EPS < total_mins[0]
    else:
        below = scores + EPS < mins[path_index]
        total_short = total + EPS < total_mins[path_index]
    weights = (1 << np.arange(k, dtype=np.uint32)).astype(np.uint32)
    short = (below.astype(np.uint32) * weights).sum(axis=1, dtype=np.uint32)
    short |= total_short.astype(np.uint32) << np.uint32(k)
    return GradeArrays(total=total, passed=short == 0, short=short)


def reasons_for(short: int, scores: Sequence[float], rules: Rules, entry_path: str = GENERAL) -> list[str]:
    """The same reason strings :func:`grade` gives, rebuilt from a :class:`GradeArrays` bit mask."""
    path = rules.path(entry_path)
    out = []
    for s, code in enumerate(rules.subtests):
        if short >> s & 1:
            out.append(f"{code} {fmt_score(scores[s])} < {fmt_score(path.minimums[code])}")
    if short >> len(rules.subtests) & 1 and path.total_min is not None:
        out.append(f"total {fmt_score(float(sum(scores)))} < {fmt_score(path.total_min)}")
    return out
