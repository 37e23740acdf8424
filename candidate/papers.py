"""Issue papers ahead of the exam day: assemble each candidate's paper from the blueprint and seal it."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import audit, clock
from ground.errors import AppError
from ground.i18n import _
from ground.layout_index import plain_index
from ground.models import Candidate, Exam, Item, ItemVersion, Paper
from question_bank.assembly import Assembler, PoolItem, stock_problems
from question_bank.blueprint import load_blueprint
from question_bank.labels import LabelClash, PaperLabels, PaperMap
from question_bank.packages import PaperSealer, new_exam_key, unwrap_exam_key
from question_bank.store import load_pool, version_contents

DELIVERED_KINDS = ("single", "multiple", "truefalse")  # what the candidate page shows: radio buttons or checkboxes


def undeliverable(session: Session, pool: Iterable[PoolItem]) -> list[str]:
    """The pool's items the candidate page cannot show, as ``uid (kind)`` (empty: it can show them all)."""
    odd = [p.version_id for p in pool if p.kind not in DELIVERED_KINDS]
    if not odd:
        return []
    rows = session.execute(
        select(Item.uid, ItemVersion.kind).join(ItemVersion, ItemVersion.item_id == Item.id)
        .where(ItemVersion.id.in_(odd)).order_by(Item.uid)
    )
    return [f"{uid} ({kind})" for uid, kind in rows]


def refuse_undeliverable(session: Session, pool: Iterable[PoolItem]) -> None:
    """No exam is made or issued with an item its candidates could not answer: AppError naming every such item."""
    items = undeliverable(session, pool)
    if items:
        raise AppError(
            "undeliverable",
            _("The candidate page cannot show these items (single, multiple and true/false answers only): %(items)s",
              items=", ".join(items)),
            409, items=items,
        )


def exam_data_key(exam: Exam, master_key: bytes) -> bytes:
    """The exam's data key, created (and wrapped by the master key) on first use."""
    if exam.data_key_wrapped is None:
        data_key, wrapped = new_exam_key(master_key, exam.code)
        exam.data_key_wrapped = wrapped
        return data_key
    return unwrap_exam_key(master_key, exam.code, exam.data_key_wrapped)


def paper_labels(exam: Exam, paper: Paper, master_key: bytes) -> PaperLabels:
    """The labels of an issued paper's package, derived again from the exam's data key and the paper's seed."""
    if exam.data_key_wrapped is None:
        raise AppError("not_released", _("The exam has not been opened yet. Please wait for the proctor."), 403)
    return PaperLabels(unwrap_exam_key(master_key, exam.code, exam.data_key_wrapped), paper.seed)


def labelled_paper(assembler: Assembler, data_key: bytes) -> tuple[int, dict[str, Any], PaperMap]:
    """A fresh seed, its paper and its per-paper labels (another seed in the ~2⁻⁶⁰ case of two labels meeting)."""
    while True:
        seed = secrets.randbits(62)
        layout = assembler.paper(seed)
        try:
            return seed, layout, PaperMap(PaperLabels(data_key, seed), layout)
        except LabelClash:
            continue


def issue_papers(
    session: Session, exam: Exam, master_key: bytes, candidates: Iterable[Candidate] | None = None, *,
    actor: str = "system",
) -> int:
    """Give every candidate without a paper one (refused whole, with what is missing, if the bank is short)."""
    bp = load_blueprint(exam.blueprint)
    pool = load_pool(session, [s.code for s in bp.sections])
    refuse_undeliverable(session, pool)
    problems = stock_problems(bp, pool)
    if problems:
        raise AppError("bank_short", _("The bank cannot fill this exam: %(what)s", what="; ".join(problems)), 409)
    if candidates is None:
        candidates = session.scalars(select(Candidate).where(Candidate.exam_id == exam.id))
    have = set(session.scalars(select(Paper.candidate_id).where(Paper.exam_id == exam.id)))
    todo = [c for c in candidates if c.id not in have]
    if not todo:
        return 0
    data_key = exam_data_key(exam, master_key)
    assembler = Assembler(bp, pool)
    sealer = PaperSealer(version_contents(session, [p.version_id for p in pool]))
    options = {p.version_id: p.option_ids for p in pool}  # the bank's, to vouch for a plain paper's shown options
    now = clock.now()
    for candidate in todo:
        seed, layout, pmap = labelled_paper(assembler, data_key)
        wrapped, nonce, ciphertext = sealer.seal(data_key, exam.code, candidate.participant_no, layout, pmap)
        session.add(
            Paper(
                exam_id=exam.id, candidate_id=candidate.id, seed=seed, layout=layout,
                layout_index=plain_index(layout, options), package_nonce=nonce,
                package_ciphertext=ciphertext, key_wrapped=wrapped, state="issued", issued_at=now,
            )
        )
    audit.record(session, "papers_issued", actor=actor, exam_id=exam.id, count=len(todo))
    return len(todo)


def release_exam(session: Session, exam: Exam, actor: str) -> None:
    """The committee opens the exam: from now on candidates may start and receive their paper keys."""
    if exam.key_released_at is None:
        exam.key_released_at = clock.now()
        exam.state = "open"
        audit.record(session, "exam_key_released", actor=actor, exam_id=exam.id)
