"""Grading rules as data: the SKD presets by regulation year and the parser for ``Exam.grading`` dicts.

One resolved :class:`Rules` object feeds both the one-candidate grader (submit path) and the vectorised
grader (a million candidates), so the thresholds live in exactly one place.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ground.i18n import _

GENERAL = "general"


class RulesError(ValueError):
    """A grading configuration or score that cannot be graded; the message names the offending part."""


@dataclass(frozen=True)
class PathRule:
    """Thresholds for one entry path: a minimum per subtest (only those listed) and an optional total."""

    minimums: Mapping[str, float]
    total_min: float | None = None


@dataclass(frozen=True)
class Rules:
    """Everything needed to grade and rank one exam's scores."""

    name: str
    subtests: tuple[str, ...]  # the order scores are reported and stored in
    maxima: Mapping[str, float | None]  # per subtest; None = no upper bound known
    paths: Mapping[str, PathRule]  # entry path -> thresholds; always has "general"
    tie_break: tuple[str, ...] = ()  # after the total, larger is better: subtest codes
    quota_multiplier: float = 3.0  # how many × the formation quota go on to the next stage
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def path(self, entry_path: str | None) -> PathRule:
        """The thresholds for ``entry_path`` (normalised, aliases resolved); :class:`RulesError` if unknown."""
        key = normalise_path(entry_path)
        rule = self.paths.get(key)
        if rule is None:
            known = ", ".join(sorted(self.paths))
            raise RulesError(_("entry path %(path)r has no passing grades in %(rules)s (known: %(known)s)",
                               path=entry_path, rules=self.name, known=known))
        return rule

    @property
    def max_total(self) -> float | None:
        vals = [self.maxima.get(s) for s in self.subtests]
        return None if any(v is None for v in vals) else float(sum(v for v in vals if v is not None))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able explicit form of these rules (round-trips through :func:`resolve_rules`)."""
        general = self.paths[GENERAL]
        return {
            "name": self.name,
            "subtests": {
                s: {"min": general.minimums.get(s), "max": self.maxima.get(s)} for s in self.subtests
            },
            "total_min": general.total_min,
            "paths": {
                p: {"min": dict(r.minimums), "total_min": r.total_min}
                for p, r in sorted(self.paths.items())
                if p != GENERAL
            },
            "tie_break": list(self.tie_break),
            "quota_multiplier": self.quota_multiplier,
        }


_ALIASES = {
    "umum": GENERAL,
    "cumlaude": "cum_laude",
    "lulusan_terbaik": "cum_laude",
    "disabilitas": "disability",
    "penyandang_disabilitas": "disability",
    "putra_putri_papua": "papua",
    "special_region": "papua",
    "daerah_khusus": "papua",
    "dokter": "doctor",
    "doctors": "doctor",
    "awak_kapal": "ship_crew",
    "penjaga_tahanan": "rescuer",  # kept simple: one rule for the 70/286 group
    "tenaga_penyelamat": "rescuer",
    "rescuers": "rescuer",
    "pengamat_gunung_api": "volcano_observer",
}


@lru_cache(maxsize=1024)  # an exam has a handful of paths and 100,000 candidates: one regex per path, not each
def normalise_path(entry_path: str | None) -> str:
    """``"Cum Laude"``, ``"cum-laude"``, ``"cumlaude"`` → ``"cum_laude"``; empty → ``"general"``."""
    if entry_path is None or not str(entry_path).strip():
        return GENERAL
    key = re.sub(r"[\s\-/]+", "_", str(entry_path).strip().lower())
    return _ALIASES.get(key, key)


SKD_SUBTESTS = ("TWK", "TIU", "TKP")
SKD_TIE_BREAK = ("TKP", "TIU", "TWK")
SKD_MAX_110 = {"TWK": 150.0, "TIU": 175.0, "TKP": 225.0}  # 30 / 35 / 45 items, since 2021
SKD_MAX_100 = {"TWK": 175.0, "TIU": 150.0, "TKP": 175.0}  # 35 / 30 / 35 items, 2018-2020


def _special_paths() -> dict[str, PathRule]:
    """Special entry paths of KepmenPANRB 1023/2021, repeated in 2023 and 2024: TIU minimum + total."""
    return {
        "cum_laude": PathRule({"TIU": 85.0}, 311.0),
        "diaspora": PathRule({"TIU": 85.0}, 311.0),
        "disability": PathRule({"TIU": 60.0}, 286.0),
        "papua": PathRule({"TIU": 60.0}, 286.0),
        "doctor": PathRule({"TIU": 80.0}, 311.0),
        "ship_crew": PathRule({"TIU": 70.0}, 286.0),
        "rescuer": PathRule({"TIU": 70.0}, 286.0),
        "volcano_observer": PathRule({"TIU": 70.0}, 286.0),
    }


def _skd(name: str, twk: float, tiu: float, tkp: float, maxima: Mapping[str, float], special: bool, desc: str) -> Rules:
    paths: dict[str, PathRule] = {GENERAL: PathRule({"TWK": twk, "TIU": tiu, "TKP": tkp})}
    if special:
        paths.update(_special_paths())
    return Rules(name, SKD_SUBTESTS, dict(maxima), paths, SKD_TIE_BREAK, 3.0, desc)


PRESETS: dict[str, Rules] = {
    r.name: r
    for r in (
        _skd("skd-2018", 75, 80, 143, SKD_MAX_100, False, "PermenPANRB 37/2018"),
        _skd("skd-2019", 65, 80, 126, SKD_MAX_100, False, "PermenPANRB 24/2019"),
        _skd("skd-2021", 65, 80, 166, SKD_MAX_110, True, "KepmenPANRB 1023/2021"),
        _skd("skd-2023", 65, 80, 166, SKD_MAX_110, True, "KepmenPANRB 651/2023"),
        _skd("skd-2024", 65, 80, 166, SKD_MAX_110, True, "KepmenPANRB 321/2024"),
    )
}
DEFAULT_PRESET = "skd-2024"


def preset(name: str) -> Rules:
    """A named preset; :class:`RulesError` listing the known names otherwise."""
    rules = PRESETS.get(str(name).strip().lower())
    if rules is None:
        raise RulesError(_("unknown grading preset %(name)r (known: %(known)s)", name=name,
                           known=", ".join(sorted(PRESETS))))
    return rules


def _number(value: Any, where: str, *, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RulesError(_("%(where)s must be a number, got %(value)r", where=where, value=value))
    f = float(value)
    if not math.isfinite(f) or f < 0:
        raise RulesError(_("%(where)s must be a finite number ≥ 0, got %(value)r", where=where, value=value))
    return f


_KEYS = {"preset", "name", "subtests", "total_min", "paths", "tie_break", "quota_multiplier", "description"}
_OTHER_STAGES = {"integration"}  # read by scoring.store.final from the same Exam.grading dict, ignored here


def _from_mapping(spec: Mapping[str, Any]) -> Rules:
    unknown = set(spec) - _KEYS - _OTHER_STAGES
    if unknown:
        raise RulesError(_("unknown grading key(s): %(keys)s (allowed: %(allowed)s)", keys=", ".join(sorted(unknown)),
                           allowed=", ".join(sorted(_KEYS))))
    base = preset(spec["preset"]) if spec.get("preset") else None
    name = str(spec.get("name") or (base.name if base else "custom"))
    subtests = list(base.subtests) if base else []
    maxima: dict[str, float | None] = dict(base.maxima) if base else {}
    general_min: dict[str, float] = dict(base.paths[GENERAL].minimums) if base else {}
    total_min = base.paths[GENERAL].total_min if base else None
    paths: dict[str, PathRule] = dict(base.paths) if base else {}

    if "subtests" in spec:
        raw = spec["subtests"]
        if isinstance(raw, list | tuple):  # just the codes, no thresholds
            raw = {code: {} for code in raw}
        if not isinstance(raw, Mapping) or not raw:
            raise RulesError(_("grading 'subtests' must be a non-empty mapping {code: {min, max}} or a list of codes"))
        if base is None or not set(map(str, raw)) <= set(subtests):  # a new subtest list replaces the preset's
            subtests, maxima, general_min = [], {}, {}
        for code, conf in raw.items():
            code = str(code)
            if not code.strip():
                raise RulesError(_("a subtest code is empty"))
            if code not in subtests:
                subtests.append(code)
            if conf is None:
                conf = {}
            if isinstance(conf, int | float) and not isinstance(conf, bool):
                conf = {"min": conf}
            if not isinstance(conf, Mapping) or set(conf) - {"min", "max"}:
                raise RulesError(_("grading subtest %(code)r must be a number or {'min': .., 'max': ..}, got %(conf)r",
                                   code=code, conf=conf))
            if "min" in conf:
                m = _number(conf["min"], f"subtests.{code}.min", allow_none=True)
                if m is None:
                    general_min.pop(code, None)
                else:
                    general_min[code] = m
            if "max" in conf:
                maxima[code] = _number(conf["max"], f"subtests.{code}.max", allow_none=True)
            maxima.setdefault(code, None)
    if "total_min" in spec:
        total_min = _number(spec["total_min"], "total_min", allow_none=True)
    paths[GENERAL] = PathRule(general_min, total_min)

    if "paths" in spec:
        raw_paths = spec["paths"]
        if not isinstance(raw_paths, Mapping):
            raise RulesError(_("grading 'paths' must be a mapping {entry_path: {min: {...}, total_min: ..}}"))
        for pname, pconf in raw_paths.items():
            key = normalise_path(pname)
            if pconf is None:  # remove a preset's path
                paths.pop(key, None)
                continue
            if not isinstance(pconf, Mapping) or set(pconf) - {"min", "total_min"}:
                raise RulesError(_("grading path %(path)r must be {'min': {code: n}, 'total_min': n}", path=pname))
            mins_raw = pconf.get("min") or {}
            if not isinstance(mins_raw, Mapping):
                raise RulesError(_("paths.%(path)s.min must be a mapping {code: number}", path=pname))
            mins = {str(c): _number(v, f"paths.{pname}.min.{c}") for c, v in mins_raw.items()}
            paths[key] = PathRule(
                {c: float(v) for c, v in mins.items() if v is not None},
                _number(pconf.get("total_min"), f"paths.{pname}.total_min", allow_none=True),
            )

    tie_break = tuple(spec.get("tie_break", base.tie_break if base else tuple(subtests)))
    if not isinstance(spec.get("tie_break", []), list | tuple):
        raise RulesError(_("grading 'tie_break' must be a list of subtest codes"))
    quota = spec.get("quota_multiplier", base.quota_multiplier if base else 3.0)
    quota_f = _number(quota, "quota_multiplier")
    if not subtests:
        raise RulesError(_("grading rules name no subtests: give 'preset' or 'subtests'"))
    for code in tie_break:
        if code not in subtests:
            raise RulesError(_("tie_break key %(key)r is not a subtest (%(subtests)s)", key=code,
                               subtests=", ".join(subtests)))
    for pname, rule in paths.items():
        for code in rule.minimums:
            if code not in subtests:
                raise RulesError(_("path %(path)r has a minimum for unknown subtest %(code)r", path=pname, code=code))
    return Rules(
        name=name,
        subtests=tuple(subtests),
        maxima=maxima,
        paths=paths,
        tie_break=tie_break,
        quota_multiplier=float(quota_f or 0.0),
        description=str(spec.get("description") or (base.description if base else "")),
    )


@lru_cache(maxsize=64)
def _cached(key: str) -> Rules:
    import json

    return _from_mapping(json.loads(key))


def resolve_rules(rules: str | Mapping[str, Any] | Rules | None) -> Rules:
    """A preset name, an ``Exam.grading`` dict (``{"preset": ...}`` and/or explicit thresholds) or Rules."""
    if isinstance(rules, Rules):
        return rules
    if rules is None or (isinstance(rules, Mapping) and not rules):
        return preset(DEFAULT_PRESET)
    if isinstance(rules, str):
        return preset(rules)
    if not isinstance(rules, Mapping):
        raise RulesError(_("grading rules must be a preset name or a mapping, got %(kind)s", kind=type(rules).__name__))
    import json

    try:
        key = json.dumps(rules)  # not sort_keys: the order of 'subtests' is the order scores are announced in
    except (TypeError, ValueError) as exc:
        raise RulesError(_("grading rules are not plain JSON data: %(why)s", why=str(exc))) from exc
    return _cached(key)
