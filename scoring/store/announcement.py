"""The SKD announcement of an exam from the database: every candidate graded, ranked and coded.

Candidates without a finished paper are absent (TH). Writing the codes back onto ``Result.code``
keeps the candidate-facing result and the announcement in agreement, so storing (and every signed
announcement) is refused while a paper of the exam is still open: its candidate would be announced TH.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ground import audit, clock
from ground.bulk import gc_paused_call
from ground.i18n import _
from ground.models import Candidate, Exam, Paper, Result, Room
from scoring.presets import Rules, RulesError, resolve_rules
from scoring.selection import Entrant, FormationRanking, select_entrants

NO_FORMATION = "-"
CODE_CHUNK = 900  # result ids per UPDATE: under SQLite's bound-parameter limit


@dataclass(frozen=True)
class Seat:
    """What an announcement row points back to: plain rows of the candidate's and the result's columns a look or a
    store reads (:data:`SEAT_CANDIDATE`, :data:`SEAT_RESULT`); the result is None when absent."""

    candidate: Row[Any]
    result: Row[Any] | None


# what the pages, the announcements and the final selection read of a candidate and a result: 100,000 plain rows
# instead of 200,000 ORM objects (a results page at 100,000 candidates: ~4 s less; storing the codes: see below)
SEAT_CANDIDATE = (Candidate.id, Candidate.room_id, Candidate.participant_no, Candidate.name, Candidate.birth_date,
                  Candidate.formation, Candidate.formation_quota, Candidate.entry_path, Candidate.gpa)
SEAT_RESULT = (Result.id, Result.candidate_id, Result.subtests, Result.code)


def exam_rules(exam: Exam) -> Rules:
    """The exam's grading rules (``Exam.grading``; empty means the default SKD preset)."""
    return resolve_rules(exam.grading or {})


def skd_entrants(session: Session, exam: Exam) -> list[Entrant]:
    """One entrant per candidate of the exam, in participant-number order; ``ref`` is a :class:`Seat`."""
    results = {r.candidate_id: r for r in session.execute(
        select(*SEAT_RESULT).join(Paper, Paper.id == Result.paper_id)
        .where(Result.exam_id == exam.id, Paper.state == "finished"))}
    seated = session.execute(select(*SEAT_CANDIDATE).where(Candidate.exam_id == exam.id)
                             .order_by(Candidate.participant_no))
    out = []
    for c in seated:
        r = results.get(c.id)
        out.append(entrant(c, r.subtests if r is not None else None, Seat(c, r)))
    return out


def entrant(c: Any, scores: Mapping[str, float] | None, ref: Any) -> Entrant:
    """A candidate (a Candidate or a row with its columns) as the selection sees them; ``scores`` None: absent."""
    return Entrant(participant_no=c.participant_no, formation=c.formation or NO_FORMATION,
                   quota=int(c.formation_quota or 0), scores=dict(scores) if scores is not None else None,
                   entry_path=c.entry_path, name=c.name, ref=ref)


def skd_codes(session: Session, exam: Exam, scores: Mapping[int, Mapping[str, float]]) -> dict[int, str]:
    """Every candidate's SKD code (candidate id → code) from the subtest scores of those with a finished paper, as
    just computed: the ranking :func:`announce_skd` stores, for a rescoring that has the scores in hand and writes
    the codes with the results instead of reading 100,000 results back and updating them again."""
    rows = session.execute(
        select(Candidate.id, Candidate.participant_no, Candidate.formation, Candidate.formation_quota,
               Candidate.entry_path, Candidate.name).where(Candidate.exam_id == exam.id)
        .order_by(Candidate.participant_no))
    formations = select_entrants([entrant(c, scores.get(c.id), c.id) for c in rows], exam_rules(exam))
    return {row.entrant.ref: row.code for f in formations for row in f.rows}


@dataclass(frozen=True)
class OpenPaper:
    """A paper that may still be finished: started or paused, or issued for a session not over yet."""

    participant_no: str
    name: str
    room: str
    state: str


def state_names() -> dict[str, str]:
    """Every paper state as the committee reads it, translated once (a page of 100,000 rows looks each one up)."""
    return {"issued": _("not started"), "started": _("working"), "paused": _("paused"), "finished": _("finished")}


def state_name(state: str) -> str:
    """A paper's state as the committee reads it."""
    return state_names().get(state, state)


class PapersStillOpen(RulesError):
    """No announcement while a paper is open; ``papers`` says which, for the committee to finish or wait for."""

    def __init__(self, exam_code: str, papers: list[OpenPaper]) -> None:
        shown = ", ".join(f"{p.participant_no} ({p.room}, {state_name(p.state)})" for p in papers[:10])
        more = _(" and %(n)s more", n=len(papers) - 10) if len(papers) > 10 else ""
        super().__init__(_("%(n)s paper(s) of %(exam)s are not finished yet: %(papers)s%(more)s. Announce when "
                           "every session is over.", n=len(papers), exam=exam_code, papers=shown, more=more))
        self.exam_code, self.papers = exam_code, papers

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled by its arguments: a refused export crosses from its job's process (``ground.jobs``)."""
        return (self.__class__, (self.exam_code, self.papers))


def open_papers(session: Session, exam: Exam) -> list[OpenPaper]:
    """Papers of the exam a candidate can still work on: started or paused, or issued in a session that has not
    ended (its start plus the exam's duration is still ahead); a candidate who never came to a past session is
    absent, not open."""
    now = clock.now()
    rows = session.execute(
        select(Candidate.participant_no, Candidate.name, Paper.state, Room.code, Room.scheduled_start)
        .join(Paper, Paper.candidate_id == Candidate.id).outerjoin(Room, Room.id == Candidate.room_id)
        .where(Paper.exam_id == exam.id, Paper.state != "finished").order_by(Candidate.participant_no)
    )
    out = []
    for number, name, state, room, start in rows:
        pending = state == "issued" and start is not None and now < start + timedelta(seconds=exam.duration_s)
        if state in ("started", "paused") or pending:
            out.append(OpenPaper(number, name, room or "-", state))
    return out


def refuse_while_open(session: Session, exam: Exam) -> None:
    """:class:`PapersStillOpen` naming the open papers, if any."""
    papers = open_papers(session, exam)
    if papers:
        raise PapersStillOpen(exam.code, papers)


@gc_paused_call
def announce_skd(session: Session, exam: Exam, *, store: bool = True) -> list[FormationRanking]:
    """Grade and rank the whole exam per formation and (unless only looking) store each result's code; storing
    is refused while a paper is open."""
    if store:
        refuse_while_open(session, exam)
        session.flush()  # a code set on a Result held in this session is in the database before it is compared
    formations = select_entrants(skd_entrants(session, exam), exam_rules(exam))
    if not store:
        return formations
    changed: dict[str, list[int]] = defaultdict(list)  # code → the results that get it
    for f in formations:
        for row in f.rows:
            result = row.entrant.ref.result
            if result is not None and result.code != row.code:
                changed[row.code].append(result.id)
    for code, ids in changed.items():  # one statement per code and chunk, not one per result (a first announcement
        for i in range(0, len(ids), CODE_CHUNK):  # codes every result)
            session.execute(update(Result).where(Result.id.in_(ids[i : i + CODE_CHUNK])).values(code=code),
                            execution_options={"synchronize_session": False})
    held_codes(session, changed)
    return formations


def held_codes(session: Session, changed: Mapping[str, list[int]]) -> None:
    """The new codes on the Results this session already holds, as stored (the codes were written by id, from
    plain rows: an object loaded before would otherwise read its old code)."""
    code_of = {rid: code for code, ids in changed.items() for rid in ids}
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Result) and obj.id in code_of:
            set_committed_value(obj, "code", code_of[obj.id])


def export_skd(session: Session, exam: Exam, fmt: str, out: Path, key: Ed25519PrivateKey, zone: str,
               actor: str = "system") -> Path:
    """The signed SKD announcement of the exam (codes stored, audited as ``actor``); refused while a paper is
    open. Returns the .sig."""
    from scoring.exports import write_skd

    if exam.practice:  # a tryout ranks nobody (issue 18)
        raise RulesError(_("%(exam)s is a practice exam: it has no ranking to announce.", exam=exam.code))
    formations = announce_skd(session, exam)
    sig = write_skd(formations, exam_rules(exam).subtests, fmt, out, key, exam.title, exam.code, zone=zone)
    record_signed(session, exam, "skd", out, actor)
    return sig


def record_signed(session: Session, exam: Exam, stage: str, out: Path, actor: str) -> None:
    """An audit row for a signed announcement: who, which stage and format, and the file's SHA-256."""
    audit.record(session, "announcement_signed", actor=actor, exam_id=exam.id, stage=stage,
                 format=out.suffix.lstrip("."), file=out.name, sha256=hashlib.sha256(out.read_bytes()).hexdigest())
