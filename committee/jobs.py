"""The console's whole-exam changes as plain functions of a database URL, so that ``ground.jobs.run_apart`` can run
them in a process of their own while the server holds live rooms (an annulment rescores every paper)."""

from __future__ import annotations

from candidate.exams import get_exam
from ground import db
from scoring.store.rescoring import RescoreReport, annul_items, preview_annulment, rescore_exam


def annul_and_rescore(db_url: str, code: str, versions: list[int], mode: str, reason: str, actor: str
                      ) -> tuple[int, int]:
    """Annul ``versions`` of exam ``code`` and rescore it in one transaction: (results changed, results checked)."""
    with db.session_scope(db_url) as s:
        exam = get_exam(s, code)
        annul_items(s, exam, versions, mode, reason, actor)
        report = rescore_exam(s, exam, reason, actor)
        return len(report.changed), report.checked


def annulment_preview(db_url: str, code: str, versions: list[int], mode: str, reason: str, actor: str
                      ) -> RescoreReport:
    """What the annulment would change, candidate by candidate (computed by the real rescoring, rolled back)."""
    with db.session_scope(db_url) as s:
        return preview_annulment(s, get_exam(s, code), versions, mode, reason, actor)
