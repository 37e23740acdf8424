"""Flags a committee can act on: each says in plain words what is wrong with an item and what to check."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ground.i18n import _
from scoring.analysis.classical import ClassicalResult
from scoring.analysis.responses import ResponseMatrix


@dataclass(frozen=True)
class Flag:
    """A stable ``code`` (for filters and the bank) and a translated sentence for people."""

    code: str
    message: str


@dataclass(frozen=True)
class FlagRules:
    """Thresholds; the defaults are the usual rules of thumb of classical item analysis."""

    too_easy_p: float = 0.90
    too_hard_p: float = 0.20
    weak_discrimination: float = 0.20  # corrected item-total r below this (but not negative)
    min_candidates: int = 30  # fewer candidates than this: discrimination flags are not raised


def _pct(x: float) -> int:
    return int(round(100.0 * x))


def item_flags(rm: ResponseMatrix, res: ClassicalResult, rules: FlagRules = FlagRules()) -> list[list[Flag]]:
    """Flags per item, in the order of ``rm.items``."""
    out: list[list[Flag]] = []
    dich = rm.dichotomous
    for j, it in enumerate(rm.items):
        flags: list[Flag] = []
        p, r, n = res.p[j], res.corrected_r[j], res.n[j]
        label = _("answered correctly") if dich[j] else _("of the maximum points, on average")
        if np.isfinite(p) and p > rules.too_easy_p:
            flags.append(Flag("too_easy", _(
                "Too easy: %(pct)d%% %(what)s (above %(limit)d%%), so it barely separates candidates.",
                pct=_pct(p), what=label, limit=_pct(rules.too_easy_p))))
        if np.isfinite(p) and p < rules.too_hard_p:
            flags.append(Flag("too_hard", _(
                "Too hard: only %(pct)d%% %(what)s (below %(limit)d%%); check the wording and the key.",
                pct=_pct(p), what=label, limit=_pct(rules.too_hard_p))))
        if n >= rules.min_candidates and np.isfinite(r):
            if r < 0:
                flags.append(Flag("negative_discrimination", _(
                    "Negative discrimination: candidates with lower totals did better on this item than those "
                    "with higher totals (r = %(r).2f). Check the key and look for an ambiguous wording.", r=r)))
            elif r < rules.weak_discrimination:
                flags.append(Flag("weak_discrimination", _(
                    "Weak discrimination: the item barely separates strong from weak candidates (r = %(r).2f).",
                    r=r)))
        if it.options and res.option_counts_ul is not None:
            counts = res.option_counts_ul[j]  # (3 groups, slot 0 omitted + options)
            chosen = counts.sum(axis=0)[1 : 1 + len(it.options)]
            key = it.key_index
            for o, opt in enumerate(it.options):
                if chosen[o] == 0 and n > 0 and o != key:
                    flags.append(Flag("unused_distractor", _(
                        "Option %(option)s was chosen by nobody, so it does not work as a distractor; "
                        "rewrite or replace it.", option=opt.label)))
            if dich[j] and key is not None and n >= rules.min_candidates:
                upper = counts[2, 1 : 1 + len(it.options)]
                for o, opt in enumerate(it.options):
                    if o != key and upper[o] > upper[key]:
                        flags.append(Flag("key_suspect", _(
                            "Likely key error: among the top 27%% of candidates more chose %(option)s "
                            "(%(n_option)d) than the key %(key)s (%(n_key)d). Check the key.",
                            option=opt.label, n_option=int(upper[o]), key=it.options[key].label,
                            n_key=int(upper[key]))))
        out.append(flags)
    return out
