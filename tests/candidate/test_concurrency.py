"""Answers racing a submit: 50 candidates fire answers without awaiting and submit at once, on SQLite and PostgreSQL.

After every round, for every paper: the stored answers are exactly the ones the receipt's digest signs and the
score counts, every applied ack is what is stored (the last applied write of each question), nothing refused is
stored, and no answer was saved after the paper finished.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from ground import db
from ground.models import Answer, Candidate, Exam, Paper, Result
from scoring.grading import grade
from scoring.receipts import answers_digest
from scoring.store.announcement import exam_rules
from scoring.store.rescoring import points_for_paper
from tests.conftest import BACKENDS, served
from tests.live import AsyncCandidate, LiveServer, questions, receipt_claims

CANDIDATES = 50
BEFORE = 12  # writes fired before the submit
DURING = 40  # at most this many writes sent right behind it, until its reply arrives


@pytest.fixture(params=BACKENDS)
def crowd(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """A served demo with 50 candidates in one room."""
    with served(tmp_path, request.param, candidates=CANDIDATES) as live:
        yield live


@dataclass
class Sitting:
    """One candidate's round: every write sent, every ack received, the submit's reply."""

    participant_no: str
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)
    submitted: dict[str, Any] = field(default_factory=dict)


async def _sit(url: str, cred: dict[str, str], rng: random.Random, ready: asyncio.Barrier) -> Sitting:
    device = await AsyncCandidate.sign_in(url, cred)
    sio = device.sio
    try:
        await device.prefetch()
        st, paper = await device.start()
        assert st["locked"] is False, st
        qs = questions(paper)[:8]  # few questions: writes overwrite each other
        sitting = Sitting(cred["participant_no"])
        loop = asyncio.get_running_loop()
        pending: list[asyncio.Future[Any]] = []
        seq = st["seq"]

        def fire() -> Any:
            nonlocal seq
            seq += 1
            q = rng.choice(qs)
            if rng.random() < 0.25:
                event, data = "flag", {"question": q["id"], "flagged": rng.random() < 0.6, "seq": seq}
            else:
                option = None if rng.random() < 0.1 else rng.choice(q["options"])["id"]
                event, data = "answer", {"question": q["id"], "option": option, "seq": seq}
            fut: asyncio.Future[Any] = loop.create_future()
            sitting.sent.append((event, data))
            pending.append(fut)
            return sio.emit(event, data, namespace="/exam", callback=lambda ack, f=fut: f.done() or f.set_result(ack))

        await ready.wait()  # the whole room sends at once
        for _ in range(BEFORE):
            await fire()  # sent in order, acks not awaited
        submit: asyncio.Future[Any] = loop.create_future()
        await sio.emit("submit", namespace="/exam", callback=lambda ack: submit.done() or submit.set_result(ack))
        for _ in range(DURING):  # keep writing, one ack at a time, while the submit is processed and closes the paper
            if submit.done():
                break
            await fire()
            await asyncio.wait_for(asyncio.wait([pending[-1], submit], return_when=asyncio.FIRST_COMPLETED), 120)
        sitting.submitted = await asyncio.wait_for(submit, timeout=120)
        sitting.acks = list(await asyncio.wait_for(asyncio.gather(*pending), timeout=120))
        return sitting
    finally:
        await device.close()


async def _round(server: LiveServer, seed: int) -> list[Sitting]:
    ready = asyncio.Barrier(CANDIDATES)
    return await asyncio.gather(*(
        _sit(server.url, server.candidate(i), random.Random(seed * 1000 + i), ready) for i in range(CANDIDATES)
    ))


def _expected(sitting: Sitting) -> tuple[dict[str, str | None], set[str], int, int]:
    """From the acks alone: each question's last applied answer and flag; counts of applied and refused writes."""
    answers: dict[str, str | None] = {}
    flags: dict[str, bool] = {}  # writes were sent in rising seq: a later applied one overwrites an earlier one
    applied = refused = 0
    for (event, data), ack in zip(sitting.sent, sitting.acks, strict=True):
        if not ack["ok"]:
            assert ack["error"]["code"] == "time_up", ack  # the only honest refusal here: the paper closed
            refused += 1
            continue
        assert ack["applied"] is True and ack["seq"] == data["seq"], (data, ack)  # one device, rising seq
        applied += 1
        if event == "answer":
            assert ack["option"] == data["option"]
            answers[data["question"]] = data["option"]
        else:
            assert ack["flagged"] == data["flagged"]
            flags[data["question"]] = data["flagged"]
    return answers, {q for q, f in flags.items() if f}, applied, refused


def _check(server: LiveServer, sittings: list[Sitting]) -> tuple[int, int]:
    """Every paper: stored == signed == scored == what the applied acks said; returns (applied, refused)."""
    total_applied = total_refused = 0
    with db.session_scope(server.db_url) as s:
        for sitting in sittings:
            assert sitting.submitted["ok"], sitting.submitted
            paper = s.scalar(select(Paper).join(Candidate, Candidate.id == Paper.candidate_id)
                             .where(Candidate.participant_no == sitting.participant_no))
            assert paper.state == "finished" and paper.finish_reason == "submitted"
            rows = list(s.scalars(select(Answer).where(Answer.paper_id == paper.id)))
            stored = {str(a.item_version_id): (str(a.option_id) if a.option_id is not None else None) for a in rows}
            pmap = server.paper_map(sitting.participant_no)  # the page speaks labels, the database bank ids
            shown = {pmap.question_labels[a.item_version_id]: pmap.option_labels[a.option_id]
                     for a in rows if a.option_id is not None}
            answers, flags, applied, refused = _expected(sitting)
            total_applied += applied
            total_refused += refused
            assert shown == {q: o for q, o in answers.items() if o is not None}, "every applied answer is stored"
            assert {pmap.question_labels[a.item_version_id] for a in rows if a.flagged} == flags
            assert all(a.saved_at <= paper.finished_at for a in rows), "no answer saved after the paper finished"
            claims = receipt_claims(paper.receipt)
            assert sitting.submitted["receipt"] == paper.receipt
            assert claims["answers_sha256"] == answers_digest(stored), "the receipt signs the stored answers"
            assert claims["answered"] == sum(1 for o in stored.values() if o is not None)
            exam = s.get(Exam, paper.exam_id)
            candidate = s.get(Candidate, paper.candidate_id)
            fresh = grade(points_for_paper(s, paper), exam_rules(exam), candidate.entry_path)
            result = s.scalar(select(Result).where(Result.paper_id == paper.id))
            assert (result.total, dict(result.subtests)) == (fresh.total, dict(fresh.subtests)), "score = stored"
            assert sitting.submitted["result"]["total"] == result.total == claims["total"]
    return total_applied, total_refused


def _reset(server: LiveServer) -> None:
    """Issue the same papers again for the next round (the server keeps no paper state outside the database)."""
    with db.session_scope(server.db_url) as s:
        ids = list(s.scalars(select(Paper.id)))
        s.execute(delete(Answer).where(Answer.paper_id.in_(ids)))
        s.execute(delete(Result).where(Result.paper_id.in_(ids)))
        s.execute(update(Paper).values(
            state="issued", started_at=None, deadline=None, finished_at=None, finish_reason=None, receipt=None,
            remaining_ms=None, session_id=None, connected_sid=None, locked=False,
        ))


def _rounds(server: LiveServer, rounds: int) -> None:
    applied = refused = 0
    for n in range(rounds):
        if n:
            _reset(server)
        a, r = _check(server, asyncio.run(_round(server, n)))  # every ack was judged applied or refused there
        applied, refused = applied + a, refused + r
    assert applied >= rounds * CANDIDATES * BEFORE, "every write sent before the submit is in the score"
    print(f"{rounds} rounds x {CANDIDATES} candidates: {applied} writes applied, {refused} refused as time_up")


def test_answers_racing_the_submit_are_stored_and_scored_alike(crowd: LiveServer) -> None:
    _rounds(crowd, 3)


@pytest.mark.slow
def test_answers_racing_the_submit_twenty_rounds(crowd: LiveServer) -> None:
    _rounds(crowd, 20)
