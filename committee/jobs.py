"""The console's whole-exam work as plain functions of a database URL, so that ``ground.jobs.run_apart`` can run it
in a process of its own while the server holds live rooms (an annulment rescores every paper, the audit check reads
every receipt)."""

from __future__ import annotations

from candidate.exams import get_exam
from committee.audit_check import check, report_lines
from ground import db, keyring
from ground.crypto import load_signing_key
from scoring.store.final import compute_final
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


def audit_check_lines(db_url: str, code: str | None) -> tuple[list[str], bool]:
    """``exam-engine audit check`` of one exam (or all) for the console, read only: its report's lines and whether
    everything holds (every finished paper's receipt checked: seconds at 100,000 papers)."""
    public = load_signing_key(keyring.data_dir_for_url(db_url)).public_key()
    with db.session_scope(db_url) as s:
        report = check(s, public, code)
        s.rollback()  # a check changes nothing
        return report_lines(report), report.ok


def store_final(db_url: str, code: str, actor: str) -> int:
    """Store exam ``code``'s final selection (replacing the one stored), audited as ``actor``: the rows stored."""
    with db.session_scope(db_url) as s:
        return sum(len(f.rows) for f in compute_final(s, get_exam(s, code), actor=actor))
