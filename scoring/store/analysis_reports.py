"""Each exam's last item-analysis report, kept sealed: the committee's page and downloads open it at once while no
paper has finished since, instead of recomputing a whole exam (40–70 s at 100,000 papers) on every view.

A report is kept per language (its flags and warnings are translated when computed). Its ``basis`` fingerprints
what it was built from — the exam's finished papers (how many, their ids, the last finish), the exam's code and
title, the report's format — and is read *before* the papers are loaded: a paper finishing meanwhile makes the kept
report stale (recomputed at the next view), never a report that claims papers it did not see. A finished paper's
answers and a bank version's points do not change, so nothing else can make a report stale.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ground import bank_seal, clock
from ground.crypto import TamperedError
from ground.db import session_scope
from ground.i18n import _, current_locale
from ground.models import Exam, Paper
from ground.models.analysis import AnalysisReport
from scoring.analysis.responses import AnalysisInputError
from scoring.store.analysis import ANALYSED_STATES, exam_report

REPORT_FORMAT = 1  # raise when ``full_report``'s shape changes: reports kept before are then recomputed

log = logging.getLogger(__name__)


def report_aad(exam_id: int, locale: str) -> bytes:
    """Binds a sealed report to its exam and language (a report moved to another row does not open)."""
    return f"analysis:report:{exam_id}/{locale}".encode()


def report_basis(session: Session, exam: Exam) -> str:
    """The fingerprint of the finished papers a report of ``exam`` would be built from (one aggregate query)."""
    count, id_sum, last = session.execute(
        select(func.count(), func.coalesce(func.sum(Paper.id), 0), func.max(Paper.finished_at))
        .where(Paper.exam_id == exam.id, Paper.state.in_(ANALYSED_STATES))
    ).one()
    text = f"{REPORT_FORMAT}|{exam.code}|{exam.title}|{count}|{id_sum}|{last.isoformat() if last else ''}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def kept_report(session: Session, exam_id: int, locale: str, basis: str) -> dict[str, Any] | None:
    """The kept report of ``exam_id`` in ``locale`` when it was built on ``basis``, else None."""
    row = session.scalar(select(AnalysisReport).where(AnalysisReport.exam_id == exam_id,
                                                      AnalysisReport.locale == locale))
    if row is None or row.basis != basis:
        return None
    cipher = bank_seal.bank_cipher(session, create=False)
    try:
        if cipher is None:
            raise TamperedError("a kept report but no bank key")
        report: dict[str, Any] = cipher.open(report_aad(exam_id, locale), row.sealed)
    except TamperedError:
        log.warning("the kept analysis report of exam %d (%s) does not open; computing it again", exam_id, locale)
        return None
    return report


def keep_report(session: Session, exam_id: int, locale: str, basis: str, report: dict[str, Any]) -> None:
    """Replace the kept report of ``exam_id`` in ``locale``."""
    session.execute(delete(AnalysisReport).where(AnalysisReport.exam_id == exam_id,
                                                 AnalysisReport.locale == locale))
    sealed = bank_seal.bank_cipher(session).seal(report_aad(exam_id, locale), report)  # type: ignore[union-attr]
    computed_at = clock.parse_iso(report["generated_at"])  # the time the report itself prints
    session.add(AnalysisReport(exam_id=exam_id, locale=locale, basis=basis, computed_at=computed_at, sealed=sealed))
    session.flush()


def kept_times(session: Session, locale: str) -> dict[str, tuple[datetime, bool]]:
    """Per exam code with a kept report in ``locale``: when it was computed and whether it is still current (the
    list of exams says which reports open at once)."""
    rows = session.execute(select(AnalysisReport.computed_at, AnalysisReport.basis, Exam)
                           .join(Exam, Exam.id == AnalysisReport.exam_id).where(AnalysisReport.locale == locale))
    return {exam.code: (at, basis == report_basis(session, exam)) for at, basis, exam in rows}


def _exam_basis(session: Session, exam_code: str) -> tuple[int, str]:
    """The exam's id and current basis, read before anything is loaded (see the module's note)."""
    exam = session.scalar(select(Exam).where(Exam.code == exam_code))
    if exam is None:
        raise AnalysisInputError(_("no exam with code %(code)s", code=exam_code))
    return exam.id, report_basis(session, exam)


def current_report(db_url: str, exam_code: str) -> dict[str, Any] | None:
    """The kept report of ``exam_code`` in the request's language when no paper has finished since, else None
    (milliseconds: the page asks here before starting a job)."""
    with session_scope(db_url) as session:
        exam_id, basis = _exam_basis(session, exam_code)
        return kept_report(session, exam_id, current_locale(), basis)


def committee_report(db_url: str, exam_code: str, *, store_statistics: bool = False) -> dict[str, Any]:
    """The report the committee sees: the kept one while it is current, else computed now and kept.

    ``store_statistics`` always recomputes, and writes every item's statistics to the bank as well.
    """
    locale = current_locale()
    with session_scope(db_url) as session:
        exam_id, basis = _exam_basis(session, exam_code)
        kept = None if store_statistics else kept_report(session, exam_id, locale, basis)
    if kept is not None:
        return kept
    report = exam_report(db_url, exam_code, write_back=store_statistics)
    try:
        with session_scope(db_url) as session:
            keep_report(session, exam_id, locale, basis, report)
    except IntegrityError:  # another view kept the same exam's report at the same moment: either serves
        pass
    return report
