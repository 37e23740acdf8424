"""The SKD selection: grade, rank per formation and assign result codes — for arrays, rows and sheets.

Every caller (the benchmark's million rows, the DB announcement, ``exam-engine rank`` on a sheet from
elsewhere) goes through :func:`select_arrays`, so the rules apply identically everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ground.i18n import _
from ground.tables import Table, cell_text
from scoring.codes import TH, skd_codes
from scoring.grading import GradeArrays, grade_matrix, path_codes, reasons_for
from scoring.presets import GENERAL, Rules, RulesError, normalise_path, resolve_rules
from scoring.ranking import RankArrays, rank_within_groups


def slots_for(quota: int, rules: Rules) -> int:
    """How many go on from a formation: ⌊multiplier × quota⌋ (SKD: 3 × quota)."""
    return int(math.floor(quota * rules.quota_multiplier + 1e-9))


@dataclass(frozen=True)
class SelectionArrays:
    """Grades, ranks and codes for n candidates, index-aligned with the inputs."""

    grades: GradeArrays
    ranks: RankArrays
    codes: np.ndarray  # "<U4"


def select_arrays(
    scores: np.ndarray,
    group: np.ndarray,
    slots: np.ndarray,
    rules: Rules,
    path_index: np.ndarray | None = None,
    path_names: Sequence[str] = (GENERAL,),
    absent: np.ndarray | None = None,
) -> SelectionArrays:
    """Grade (n, k) scores, rank passers per group by total then ``rules.tie_break``, code everyone."""
    grades = grade_matrix(scores, rules, path_index, path_names)
    eligible = grades.passed if absent is None else grades.passed & ~absent
    cols = {code: i for i, code in enumerate(rules.subtests)}
    keys = [grades.total] + [np.asarray(scores[:, cols[c]], dtype=np.float64) for c in rules.tie_break]
    ranks = rank_within_groups(group, eligible, keys, slots)
    codes = skd_codes(eligible, ranks.advances, absent)
    return SelectionArrays(grades, ranks, codes)


@dataclass(frozen=True)
class Entrant:
    """One candidate as the selection sees them: where they compete and their scores (None when absent)."""

    participant_no: str
    formation: str
    quota: int
    scores: Mapping[str, float] | None
    entry_path: str = GENERAL
    name: str = ""
    ref: Any = None  # the caller's handle (e.g. a Result id), carried through untouched


@dataclass(frozen=True)
class RankedEntrant:
    """An entrant's outcome in their formation's announcement."""

    entrant: Entrant
    total: float | None
    passed: bool
    reasons: list[str]
    rank: int | None
    advances: bool
    code: str


@dataclass
class FormationRanking:
    """One formation's announcement: ranked passers first, then those who did not pass, then absentees."""

    formation: str
    entry_path: str
    quota: int
    slots: int
    rows: list[RankedEntrant] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The formation name, plus the entry path when it is not the general one."""
        return self.formation if self.entry_path == GENERAL else f"{self.formation} ({self.entry_path})"


def select_entrants(entrants: Sequence[Entrant], rules: str | Mapping[str, Any] | Rules) -> list[FormationRanking]:
    """Rank entrants per formation (name × entry path) under ``rules``; formations sorted by label."""
    resolved = resolve_rules(rules)
    n = len(entrants)
    k = len(resolved.subtests)
    groups: dict[tuple[str, str], int] = {}
    formations: list[FormationRanking] = []
    group = np.empty(n, dtype=np.int64)
    scores = np.zeros((n, k))
    absent = np.zeros(n, dtype=bool)
    paths = [normalise_path(e.entry_path) for e in entrants]
    for i, e in enumerate(entrants):
        key = (e.formation, paths[i])
        g = groups.get(key)
        if g is None:
            g = groups[key] = len(formations)
            formations.append(FormationRanking(e.formation, paths[i], e.quota, slots_for(e.quota, resolved)))
        elif formations[g].quota != e.quota:
            raise RulesError(_("formation %(formation)r has two quotas: %(a)s and %(b)s", formation=formations[g].label,
                               a=formations[g].quota, b=e.quota))
        group[i] = g
        if e.scores is None:
            absent[i] = True
        else:
            missing = [c for c in resolved.subtests if c not in e.scores]
            if missing:
                raise RulesError(_("%(no)s has no score for %(subtests)s (%(rules)s)", no=e.participant_no,
                                   subtests=", ".join(missing), rules=resolved.name))
            scores[i] = [float(e.scores[c]) for c in resolved.subtests]
    path_index, path_names = path_codes(paths, resolved)
    slots = np.array([f.slots for f in formations], dtype=np.int64)
    sel = select_arrays(scores, group, slots, resolved, path_index, path_names, absent)
    for i, e in enumerate(entrants):
        is_absent = bool(absent[i])
        rank = int(sel.ranks.rank[i]) or None
        formations[group[i]].rows.append(
            RankedEntrant(
                entrant=e,
                total=None if is_absent else float(sel.grades.total[i]),
                passed=bool(sel.grades.passed[i]) and not is_absent,
                reasons=[] if is_absent else reasons_for(int(sel.grades.short[i]), scores[i], resolved, paths[i]),
                rank=rank,
                advances=bool(sel.ranks.advances[i]),
                code=str(sel.codes[i]),
            )
        )
    for f in formations:
        f.rows.sort(
            key=lambda r: (
                0 if r.rank else (2 if r.code == TH else 1),
                r.rank or 0,
                -(r.total or 0.0),
                r.entrant.participant_no,
            )
        )
    return sorted(formations, key=lambda f: (f.formation, f.entry_path != GENERAL, f.entry_path))


def _num(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(float(value), 6)


@dataclass(frozen=True)
class TieNote:
    """Why a ranked row sits where it does against the row above with the same total: the first tie-break key
    that differs (``key``, above's value, this one's), or ``key`` None when equal on every key (a shared rank)."""

    key: str | None
    above: float | None = None
    this: float | None = None


def tie_notes(f: FormationRanking, tie_break: Sequence[str]) -> list[TieNote | None]:
    """Per row of ``f``: None unless it is ranked and has the same total as the ranked row above it."""
    notes: list[TieNote | None] = []
    prev: RankedEntrant | None = None
    for r in f.rows:
        note = None
        if r.rank is not None and prev is not None and prev.total == r.total:
            a, b = prev.entrant.scores or {}, r.entrant.scores or {}
            key = next((k for k in tie_break if a.get(k) != b.get(k)), None)
            note = TieNote(key, a.get(key) if key else None, b.get(key) if key else None)
        notes.append(note)
        prev = r if r.rank is not None else prev
    return notes


def ranking_json(formations: Sequence[FormationRanking]) -> dict[str, Any]:
    """The ``exam-engine rank --json`` shape (documented in docs/scoring.md)."""
    return {
        "formations": [
            {
                "formation": f.label,
                "quota": f.quota,
                "slots": f.slots,
                "ranking": [
                    {
                        "rank": r.rank,
                        "participant_no": r.entrant.participant_no,
                        "total": _num(r.total),
                        "passed": r.passed,
                        "advances": r.advances,
                        "code": r.code,
                    }
                    for r in f.rows
                ],
            }
            for f in formations
        ]
    }


# ---------------------------------------------------------------- score sheets from elsewhere

ABSENT_WORDS = {"th", "absent", "tidak hadir", "tidak_hadir"}
PRESENT_WORDS = {"", "present", "hadir"}


@dataclass(frozen=True)
class RowProblem:
    """One bad cell: sheet row number (the header is row 1), column name, and what is wrong."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


class SheetError(ValueError):
    """A score sheet with bad rows; nothing was ranked. ``problems`` lists every one."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        head = "; ".join(str(p) for p in problems[:5])
        more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{len(problems)} problem(s) in the score sheet: {head}{more}")


def parse_score_sheet(table: Table, rules: str | Mapping[str, Any] | Rules) -> list[Entrant]:
    """Validate every row of a sheet against ``rules``; :class:`SheetError` lists all bad cells."""
    resolved = resolve_rules(rules)
    problems: list[RowProblem] = []
    lower = {h.lower(): h for h in table.header}
    col: dict[str, str] = {}
    for needed in ("participant_no", "formation", "formation_quota", *resolved.subtests):
        found = lower.get(needed.lower())
        if found is None:
            problems.append(RowProblem(1, needed, "column is missing"))
        else:
            col[needed] = found
    for optional in ("entry_path", "name", "status"):
        if optional in lower:
            col[optional] = lower[optional]
    if problems:
        raise SheetError(problems)

    entrants: list[Entrant] = []
    seen: dict[str, int] = {}
    quotas: dict[tuple[str, str], tuple[int, int]] = {}
    for number, row in table.rows:
        bad_before = len(problems)
        pno = cell_text(row.get(col["participant_no"]))
        if not pno:
            problems.append(RowProblem(number, col["participant_no"], "is empty"))
        elif pno in seen:
            problems.append(RowProblem(number, col["participant_no"], f"{pno} already on row {seen[pno]}"))
        else:
            seen[pno] = number
        formation = cell_text(row.get(col["formation"]))
        if not formation:
            problems.append(RowProblem(number, col["formation"], "is empty"))
        quota_raw = row.get(col["formation_quota"])
        quota: int | None = None
        try:
            qf = float(cell_text(quota_raw))
            if not qf.is_integer() or qf < 0:
                raise ValueError
            quota = int(qf)
        except ValueError:
            problems.append(
                RowProblem(number, col["formation_quota"], f"{cell_text(quota_raw)!r} is not a whole number ≥ 0")
            )
        path = normalise_path(cell_text(row.get(col["entry_path"])) if "entry_path" in col else "")
        if path not in resolved.paths:
            where = col.get("entry_path", "entry_path")
            problems.append(RowProblem(number, where, f"{path!r} has no passing grades in {resolved.name}"))
        status = cell_text(row.get(col["status"])).lower() if "status" in col else ""
        absent = status in ABSENT_WORDS
        if not absent and status not in PRESENT_WORDS:
            problems.append(RowProblem(number, col["status"], f"{status!r} is not 'hadir'/'present' or 'TH'/'absent'"))
        scores: dict[str, float] = {}
        for code in resolved.subtests:
            raw = cell_text(row.get(col[code]))
            if not raw:
                if not absent:
                    problems.append(RowProblem(number, col[code], "score is missing"))
                continue
            try:
                value = float(raw.replace(",", ".")) if raw.count(",") == 1 and "." not in raw else float(raw)
            except ValueError:
                problems.append(RowProblem(number, col[code], f"{raw!r} is not a number"))
                continue
            maximum = resolved.maxima.get(code)
            if not math.isfinite(value) or value < 0:
                problems.append(RowProblem(number, col[code], f"{raw} is not a score ≥ 0"))
            elif maximum is not None and value > maximum:
                problems.append(RowProblem(number, col[code], f"{raw} is above the maximum {maximum:g}"))
            else:
                scores[code] = value
        if formation and quota is not None:
            key = (formation, path)
            first = quotas.setdefault(key, (quota, number))
            if first[0] != quota:
                problems.append(
                    RowProblem(
                        number,
                        col["formation_quota"],
                        f"{quota} differs from {first[0]} on row {first[1]} for the same formation",
                    )
                )
        if len(problems) == bad_before:
            entrants.append(
                Entrant(
                    participant_no=pno,
                    formation=formation,
                    quota=int(quota or 0),
                    scores=None if absent else scores,
                    entry_path=path,
                    name=cell_text(row.get(col["name"])) if "name" in col else "",
                    ref=number,
                )
            )
    if problems:
        raise SheetError(problems)
    return entrants
