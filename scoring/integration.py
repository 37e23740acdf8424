"""Integrating stages: SKD and SKB on a 0–100 scale, weighted (preset 40/60), ranked per formation.

Rounding rule (docs/scoring.md): each stage is scaled exactly (score / maximum × 100); the weighted
final is computed in decimal arithmetic and rounded half-up to ``decimals`` (preset 3) places; the
rounded final is what is announced and ranked. Ties then go down the tie-break keys; candidates
equal on every key share the rank, and all of them are selected if that rank is within the quota.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from ground.i18n import _
from scoring.codes import APS, FINAL_PL, FINAL_PTL, FINAL_TH, TMS
from scoring.presets import GENERAL, RulesError, normalise_path
from scoring.ranking import rank_within_groups

SPECIAL_KEYS = ("final", "skd_total", "skb", "gpa", "age")


@dataclass(frozen=True)
class IntegrationRules:
    """Weights, scales, rounding, tie-break keys and the quota multiplier of the final selection."""

    name: str = "skd-skb-2024"
    skd_weight: float = 40.0
    skb_weight: float = 60.0
    skd_max: float = 550.0
    skb_max: float = 100.0
    decimals: int = 3
    tie_break: tuple[str, ...] = ("skd_total", "TKP", "TIU", "TWK", "gpa", "age")
    quota_multiplier: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "skd_weight": self.skd_weight, "skb_weight": self.skb_weight,
            "skd_max": self.skd_max, "skb_max": self.skb_max, "decimals": self.decimals,
            "tie_break": list(self.tie_break), "quota_multiplier": self.quota_multiplier,
        }


INTEGRATION_PRESETS = {"skd-skb-2024": IntegrationRules()}


def resolve_integration(spec: str | Mapping[str, Any] | IntegrationRules | None) -> IntegrationRules:
    """A preset name, or a dict overriding fields of ``{"preset": ...}`` (default skd-skb-2024)."""
    if isinstance(spec, IntegrationRules):
        return spec
    if spec is None or isinstance(spec, str):
        name = spec or "skd-skb-2024"
        if name not in INTEGRATION_PRESETS:
            raise RulesError(_("unknown integration preset %(name)r (known: %(known)s)", name=name,
                               known=", ".join(INTEGRATION_PRESETS)))
        return INTEGRATION_PRESETS[name]
    fields = set(IntegrationRules.__dataclass_fields__)
    unknown = set(spec) - fields - {"preset"}
    if unknown:
        raise RulesError(_("unknown integration key(s): %(keys)s", keys=", ".join(sorted(unknown))))
    base = resolve_integration(spec.get("preset"))
    changes: dict[str, Any] = {}
    for key in ("skd_weight", "skb_weight", "skd_max", "skb_max", "quota_multiplier"):
        if key in spec:
            v = spec[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
                raise RulesError(_("integration %(key)s must be a number ≥ 0, got %(value)r", key=key, value=v))
            changes[key] = float(v)
    if "decimals" in spec:
        d = spec["decimals"]
        if isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6:
            raise RulesError(_("integration decimals must be a whole number 0–6, got %(value)r", value=d))
        changes["decimals"] = d
    if "tie_break" in spec:
        tb = spec["tie_break"]
        if not isinstance(tb, list | tuple) or not all(isinstance(k, str) and k for k in tb):
            raise RulesError(_("integration tie_break must be a list of key names"))
        changes["tie_break"] = tuple(tb)
    if "name" in spec:
        changes["name"] = str(spec["name"])
    rules = replace(base, **changes)
    if rules.skd_weight + rules.skb_weight <= 0:
        raise RulesError(_("integration weights must not both be zero"))
    if rules.skd_max <= 0 or rules.skb_max <= 0:
        raise RulesError(_("integration maxima must be > 0"))
    return rules


def parse_weights(text: str) -> tuple[float, float]:
    """``"40/60"`` → (40.0, 60.0): the CLI's way of giving SKD/SKB weights."""
    parts = text.replace(":", "/").split("/")
    try:
        a, b = (float(p) for p in parts)
    except ValueError as exc:
        raise RulesError(_("weights must look like 40/60, got %(text)r", text=text)) from exc
    if a < 0 or b < 0 or a + b <= 0:
        raise RulesError(_("weights must be ≥ 0 and not both zero, got %(text)r", text=text))
    return a, b


def _dec(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def round_half_up(value: Decimal, decimals: int) -> Decimal:
    """Round like the announcement does (half away from zero for positives), not banker's rounding."""
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def final_score(skd_total: float, skb: float, rules: IntegrationRules) -> tuple[Decimal, Decimal, Decimal]:
    """(SKD on 0–100, SKB on 0–100, weighted final rounded half-up) — exact decimal arithmetic."""
    hundred = Decimal(100)
    skd_scaled = _dec(skd_total) / _dec(rules.skd_max) * hundred
    skb_scaled = _dec(skb) / _dec(rules.skb_max) * hundred
    w1, w2 = _dec(rules.skd_weight), _dec(rules.skb_weight)
    final = (w1 * skd_scaled + w2 * skb_scaled) / (w1 + w2)
    return skd_scaled, skb_scaled, round_half_up(final, rules.decimals)


@dataclass(frozen=True)
class FinalEntrant:
    """A candidate at the final stage: SKD outcome, SKB score/status and the personal tie-break data."""

    participant_no: str
    formation: str
    quota: int
    skd_total: float | None
    skd_scores: Mapping[str, float] = field(default_factory=dict)
    skd_eligible: bool = True  # passed SKD and went on (P/L)
    skb: float | None = None
    skb_status: str = "present"  # present | absent | withdrawn
    skb_passed: bool | None = None  # None: no SKB threshold applies
    entry_path: str = GENERAL
    gpa: float | None = None
    birth_date: date | None = None
    name: str = ""
    ref: Any = None


def gpa_value(raw: str) -> float | None:
    """GPA (IPK) on the 0-4 scale, comma or point as decimal mark, empty unknown: one reading for every import."""
    if not raw:
        return None
    value = float(raw.replace(",", "."))  # ValueError: not a number
    if not 0 <= value <= 4:
        raise ValueError(raw)
    return value


@dataclass(frozen=True)
class FinalRow:
    """One candidate's final outcome."""

    entrant: FinalEntrant
    skd_scaled: Decimal | None
    skb_scaled: Decimal | None
    final: Decimal | None
    rank: int | None
    selected: bool
    code: str


@dataclass
class FinalFormation:
    """One formation's final announcement, selected first."""

    formation: str
    entry_path: str
    quota: int
    slots: int
    rows: list[FinalRow] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.formation if self.entry_path == GENERAL else f"{self.formation} ({self.entry_path})"


def _key_array(name: str, entrants: Sequence[FinalEntrant], finals: list[Decimal | None]) -> np.ndarray:
    """A tie-break key as floats, larger = better; missing values rank last."""
    low = -np.inf
    if name == "final":
        return np.array([float(f) if f is not None else low for f in finals])
    if name == "skd_total":
        return np.array([e.skd_total if e.skd_total is not None else low for e in entrants], dtype=float)
    if name == "skb":
        return np.array([e.skb / 1.0 if e.skb is not None else low for e in entrants], dtype=float)
    if name == "gpa":
        return np.array([e.gpa if e.gpa is not None else low for e in entrants], dtype=float)
    if name == "age":  # the older candidate first: an earlier birth date is "larger"
        return np.array([-e.birth_date.toordinal() if e.birth_date else low for e in entrants], dtype=float)
    return np.array([float(e.skd_scores[name]) if name in e.skd_scores else low for e in entrants], dtype=float)


def integrate(
    entrants: Sequence[FinalEntrant], rules: str | Mapping[str, Any] | IntegrationRules | None = None
) -> list[FinalFormation]:
    """Final scores, ranks and codes per formation (name × entry path), formations sorted by label."""
    r = resolve_integration(rules)
    for key in r.tie_break:
        if key not in SPECIAL_KEYS and not any(key in e.skd_scores for e in entrants) and entrants:
            raise RulesError(_("tie-break key %(key)r is neither %(special)s nor an SKD subtest", key=key,
                               special=", ".join(SPECIAL_KEYS)))
    groups: dict[tuple[str, str], int] = {}
    formations: list[FinalFormation] = []
    n = len(entrants)
    group = np.empty(n, dtype=np.int64)
    eligible = np.zeros(n, dtype=bool)
    scaled: list[tuple[Decimal | None, Decimal | None, Decimal | None]] = []
    codes: list[str] = []
    for i, e in enumerate(entrants):
        path = normalise_path(e.entry_path)
        key = (e.formation, path)
        g = groups.get(key)
        if g is None:
            g = groups[key] = len(formations)
            slots = int(math.floor(e.quota * r.quota_multiplier + 1e-9))
            formations.append(FinalFormation(e.formation, path, e.quota, slots))
        elif formations[g].quota != e.quota:
            raise RulesError(_("formation %(formation)r has two quotas: %(a)s and %(b)s", formation=formations[g].label,
                               a=formations[g].quota, b=e.quota))
        group[i] = g
        if e.skb_status not in ("present", "absent", "withdrawn"):
            raise RulesError(_("%(no)s: SKB status must be present, absent or withdrawn, not %(status)r",
                               no=e.participant_no, status=e.skb_status))
        if e.skb is not None and not (0 <= e.skb <= r.skb_max):
            raise RulesError(_("%(no)s: SKB score %(score)s is outside 0–%(max)s", no=e.participant_no, score=e.skb,
                               max=f"{r.skb_max:g}"))
        if e.skb_status == "withdrawn":
            code = APS
        elif e.skb_status == "absent":
            code = FINAL_TH
        elif not e.skd_eligible or e.skd_total is None or e.skb is None or e.skb_passed is False:
            code = TMS
        else:
            code = ""
        if e.skd_total is not None and e.skb is not None:
            scaled.append(final_score(e.skd_total, e.skb, r))
        else:
            scaled.append((None, None, None))
        eligible[i] = code == ""
        codes.append(code)
    finals = [s[2] for s in scaled]
    keys = [_key_array("final", entrants, finals)] + [_key_array(k, entrants, finals) for k in r.tie_break]
    slots = np.array([f.slots for f in formations], dtype=np.int64)
    ranks = rank_within_groups(group, eligible, keys, slots)
    for i, e in enumerate(entrants):
        rank = int(ranks.rank[i]) or None
        selected = bool(ranks.advances[i])
        code = codes[i] or (FINAL_PL if selected else FINAL_PTL)
        skd_s, skb_s, fin = scaled[i]
        formations[group[i]].rows.append(FinalRow(e, skd_s, skb_s, fin, rank, selected, code))
    order = {FINAL_PL: 0, FINAL_PTL: 1, TMS: 2, FINAL_TH: 3, APS: 4}
    for f in formations:
        f.rows.sort(key=lambda row: (order[row.code], row.rank or 0, -(row.final or 0), row.entrant.participant_no))
    return sorted(formations, key=lambda f: (f.formation, f.entry_path != GENERAL, f.entry_path))


@dataclass(frozen=True)
class FinalTieNote:
    """Why a ranked row sits where it does against the ranked row above with the same final score: the first
    tie-break key that differs, with both values as announced (a birth date for ``age``: the older goes first), or
    ``key`` None when equal on every key (a shared rank)."""

    key: str | None
    above: Any = None
    this: Any = None


def _shown_key(name: str, row: FinalRow) -> Any:
    """A tie-break key's value as a person compares it (None when missing, which ranks last)."""
    e = row.entrant
    if name == "final":
        return row.final
    if name == "age":
        return e.birth_date
    if name in ("skd_total", "skb", "gpa"):
        return getattr(e, name)
    return e.skd_scores.get(name)


def final_tie_notes(f: FinalFormation, tie_break: Sequence[str]) -> list[FinalTieNote | None]:
    """Per row of ``f``: None unless it is ranked with the same final score as the ranked row above it; then which
    key of the chain ordered the two (the same order :func:`integrate` ranked them by)."""
    notes: list[FinalTieNote | None] = []
    prev: FinalRow | None = None
    for r in f.rows:
        note = None
        if r.rank is not None and prev is not None and prev.final == r.final:
            key = next((k for k in tie_break if _shown_key(k, prev) != _shown_key(k, r)), None)
            note = FinalTieNote(key, _shown_key(key, prev) if key else None, _shown_key(key, r) if key else None)
        notes.append(note)
        prev = r if r.rank is not None else prev
    return notes
