"""The candidate's HTTP face: the exam page and the login API that hands out access tokens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from candidate import lockouts, sessions, tokens
from candidate.admission import QUEUE, LoginQueue
from candidate.answers import WRITER
from candidate.papers import paper_labels
from candidate.review import review as paper_review
from ground import db, events
from ground.concurrency import run_blocking
from ground.errors import AppError
from ground.i18n import _
from ground.models import Candidate, Exam, Paper, Room
from ground.runtime import Runtime, runtime
from question_bank.labels import image_map
from question_bank.store import get_image, image_hashes, version_contents
from scoring.points import layout_versions

bp = Blueprint("candidate", __name__, template_folder="templates")
PAPER_IMAGES = "paper_images"  # its name in Runtime.services: {paper id: {image label: sha256}} of its images
PAPER_IMAGES_MAX = 20_000  # papers remembered per process; past this the memo starts over
ROOM_EXAMS = "room_exams"  # its name in Runtime.services: {room token: exam id} of rooms logged into
ROOM_EXAMS_MAX = 10_000  # tokens remembered per process; past this the memo starts over


def json_body(*fields: str) -> dict[str, str]:
    """The request's JSON object with each of ``fields`` a non-empty string; 400 naming the field otherwise."""
    data: Any = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise AppError("bad_request", _("The request body must be a JSON object."), 400)
    out: dict[str, str] = {}
    for name in fields:
        value = data.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise AppError("bad_request", _("Field '%(name)s' is required (text).", name=name), 400, field=name)
        out[name] = value
    return out


@bp.get("/")
def exam_page() -> str:
    """The candidate exam page (login, questions, grid, countdown, score)."""
    return render_template("candidate.html")


@bp.get("/api/v1/health")
def health() -> Any:
    """Liveness plus this process's answer-writer counters (for monitoring and the load benchmark)."""
    rt = runtime()
    writer = rt.services.get(WRITER)  # not created until the first answer
    return jsonify({
        "ok": True,
        "connections": len(rt.connections),
        "answers_committed": writer.writes if writer else 0,
        "answer_batches": writer.batches if writer else 0,
    })


def _too_many_attempts() -> AppError:
    """The refusal while the address or the candidate is locked out (the proctor can clear a candidate)."""
    return AppError("too_many_attempts", _("Too many failed attempts. Wait a few minutes or ask the proctor."), 429)


@bp.post("/api/v1/candidate/login")
def login() -> Any:
    """Exchange participant number, PIN and room token for an access token (rate-limited, see below)."""
    body = json_body("participant_no", "pin", "room_token")
    rt = runtime()
    queue: LoginQueue | None = rt.services.get(QUEUE)
    if queue is None:
        queue = rt.services[QUEUE] = LoginQueue(rt.config.login_wait_s)
    retry = queue.admit()
    if retry is not None:  # a room's storm is spread by the pages, not queued here until the proxy times out
        raise _busy(retry)
    try:
        return _login(rt, body)  # the shared sign-in counts refuse as busy too when Redis is overloaded
    finally:
        queue.done()


def _busy(seconds: int) -> AppError:
    """The refusal of a login this process cannot answer soon: the page tries again after ``seconds``."""
    return AppError("busy", _("Many candidates are signing in at once. Try again in %(seconds)d seconds.",
                              seconds=seconds), 503, retry_after=seconds)


def _login(rt: Runtime, body: dict[str, str]) -> Any:
    """The login once admitted."""
    # a wrong room token counts only against the address (a generous limit), so nobody outside the room can lock a
    # candidate out by guessing PINs; wrong PINs count against that exam's participant once the token is right
    address, room_token = str(request.remote_addr), body["room_token"].strip().upper()
    guard = lockouts.guard(rt)
    if guard.address_blocked(address):
        raise _too_many_attempts()

    def room_exam() -> int | None:
        with db.session_scope(rt.db_url) as session:
            return session.scalar(select(Room.exam_id).where(Room.token == room_token).limit(1))

    # the room's exam names the lockout key, checked before the PIN: known rooms are remembered (one thread-pool
    # hop and one transaction per login instead of two); the login itself checks the room is still that exam's
    known: dict[str, int] = rt.services.setdefault(ROOM_EXAMS, {})
    exam_id = known.get(room_token)

    def attempt(exam_id: int) -> dict[str, Any]:
        with db.session_scope(rt.db_url, grouped=True) as session:  # a room logs in at once: shared fsyncs
            outcome = sessions.login(
                session, body["participant_no"], body["pin"], body["room_token"], exam_id=exam_id
            )
            claims = tokens.AccessClaims(outcome.candidate.id, outcome.paper.id, outcome.session_id)
            return {
                "access_token": tokens.issue(rt.secret, claims),
                "candidate": sessions.candidate_public(outcome.candidate),
                "exam": {**sessions.exam_public(outcome.exam), "subtests": sessions.paper_outline(outcome.paper)},
            }

    while True:
        if exam_id is None:
            exam_id = run_blocking(room_exam)
            if exam_id is None:  # a wrong room token counts against the address only
                guard.address_failed(address)
                raise AppError("bad_credentials", _("Wrong participant number, PIN or room token."), 401)
            if len(known) >= ROOM_EXAMS_MAX:
                known.clear()
            known[room_token] = exam_id
        account = lockouts.account(exam_id, body["participant_no"])
        if guard.account_blocked(account):  # the address was checked above
            raise _too_many_attempts()
        try:
            reply = run_blocking(attempt, exam_id)
            break
        except sessions.RoomChanged as changed:  # the token was rotated since it was remembered: look it up again
            known.pop(room_token, None)
            exam_id = changed.exam_id
            if exam_id is None:
                guard.address_failed(address)
                raise AppError("bad_credentials", _("Wrong participant number, PIN or room token."), 401) from None
            known[room_token] = exam_id
        except AppError as err:
            if err.code == "bad_credentials":
                guard.failed(account, address)
                if guard.account_blocked(account):  # this failure locked the candidate out: the proctor should know
                    run_blocking(announce_lockout, rt.db_url, exam_id, body["participant_no"].strip(), address)
            raise
    guard.succeeded(account)
    return jsonify(reply)


def announce_lockout(db_url: str, exam_id: int, participant_no: str, address: str) -> None:
    """Tell the room's proctors a registered candidate is locked out (they may clear it after checking the ID)."""
    with db.session_scope(db_url) as session:
        row = session.execute(
            select(Candidate.id, Candidate.room_id)
            .where(Candidate.exam_id == exam_id, Candidate.participant_no == participant_no)
        ).first()
    if row is not None:
        events.publish(
            events.LOGIN_LOCKED, exam_id=exam_id, room_id=row.room_id, candidate_id=row.id,
            participant_no=participant_no, ip=address,
        )


def _paper_images(rt: Runtime, session: Session, paper: Paper) -> dict[str, str]:
    """{image label: sha256} of a paper, opened from the sealed bank once per process (a layout never changes)."""
    memo: dict[int, dict[str, str]] = rt.services.setdefault(PAPER_IMAGES, {})
    found = memo.get(paper.id)
    if found is None:
        if len(memo) >= PAPER_IMAGES_MAX:
            memo.clear()
        exam = session.get(Exam, paper.exam_id)
        assert exam is not None
        shown = image_hashes(version_contents(session, layout_versions(paper.layout)))
        found = image_map(paper_labels(exam, paper, rt.master_key), shown)
        memo[paper.id] = found
    return found


def bearer_token() -> str | None:
    """The access token of an ``Authorization: Bearer`` header (never a URL: URLs reach logs and Referer)."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


@bp.get("/api/v1/candidate/media/<label>")
def media(label: str) -> Response:
    """An image of the candidate's own started paper, by its label there: none leaks before the start or to others."""
    rt = runtime()
    claims = tokens.read(rt.secret, bearer_token(), rt.config.token_ttl_s)

    def load() -> tuple[str, bytes]:
        with db.session_scope(rt.db_url) as session:
            # only the columns checked on every image: the layout loads when the paper's images are not known yet
            paper = session.get(
                Paper, claims.paper_id, options=[load_only(Paper.session_id, Paper.state, Paper.exam_id, Paper.seed)]
            )
            if paper is None or paper.session_id != claims.session_id:
                raise AppError("session_replaced", _("You logged in elsewhere or were released: log in again."), 401)
            if paper.state == "issued":
                raise AppError("not_started", _("The exam has not started yet."), 409)
            sha256 = _paper_images(rt, session, paper).get(label)
            found = get_image(session, sha256) if sha256 else None
            if found is None:
                raise AppError("not_found", _("That file is not on your paper."), 404)
            return found

    mime, data = run_blocking(load)
    return Response(data, mimetype=mime, headers={"Cache-Control": "private, max-age=86400"})


@bp.get("/api/v1/candidate/review")
def review() -> Any:
    """A finished practice paper's review for its candidate (best answers, explanations); refused for a selection
    exam (``review_refused``) and before the paper is finished."""
    rt = runtime()
    claims = tokens.read(rt.secret, bearer_token(), rt.config.token_ttl_s)

    def load() -> dict[str, Any]:
        with db.session_scope(rt.db_url) as session:
            paper = session.get(Paper, claims.paper_id)
            if paper is None or paper.session_id != claims.session_id:
                raise AppError("session_replaced", _("You logged in elsewhere or were released: log in again."), 401)
            return paper_review(session, paper)

    return jsonify(run_blocking(load))
