"""Who may do what: every HTTP route and every /exam and /proctor event, tried by each kind of actor.

Actors: anonymous, a candidate (access token), a proctor of another room, the room's proctor, committee, admin,
and a disabled staff account (signed in, then disabled). Each cell is the exact status and error code (or the
redirect target), against a real ``exam-engine serve`` process with real HTTP and python-socketio clients.
The route and event lists come from the app itself, so a new route or event fails here until it is classified.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import socketio
from flask import Flask
from sqlalchemy import select

from exam_engine.app import create_app
from ground import db
from ground.config import Config
from ground.extensions import socketio as socketio_ext
from ground.models import AuditEvent, Candidate, Paper, Room
from ground.staff.accounts import assign, create_staff, set_active
from tests.live import LiveServer

ACTORS = ("anonymous", "candidate", "other_proctor", "proctor", "committee", "admin", "disabled")
STAFF = ("other_proctor", "proctor", "committee", "admin")
ROOM_STAFF = ("proctor", "committee", "admin")  # may act on room DEMO-R1
TEST_ONLY = {("POST", "/api/v1/_test/clock")}  # only with EXAM_TESTING_CLOCK=1 (never in production)

Expect = int | tuple[int, str]


def cells(default: Expect, **per_actor: Expect) -> dict[str, Expect]:
    return {a: per_actor.get(a, default) for a in ACTORS}


def anyone(outcome: Expect) -> dict[str, Expect]:
    return cells(outcome)


def committee_api(ok: Expect = 200) -> dict[str, Expect]:
    return cells((401, "not_signed_in"), other_proctor=(403, "forbidden"), proctor=(403, "forbidden"),
                 committee=ok, admin=ok)


def staff_page(ok: Expect, other: Expect | None = None) -> dict[str, Expect]:
    out = cells((302, "/staff/login"), committee=ok, admin=ok, proctor=ok)
    out["other_proctor"] = other if other is not None else ok
    return out


def console_page(ok: Expect) -> dict[str, Expect]:
    """A committee console page (HTML): the sign-in page for strangers, 403 for proctors."""
    return cells((302, "/staff/login"), other_proctor=403, proctor=403, committee=ok, admin=ok)


# (method, rule) -> (path template, JSON body or None, expected per actor); {exam} and {room} are filled in
HTTP: dict[tuple[str, str], tuple[str, Any, dict[str, Expect]]] = {
    ("GET", "/"): ("/", None, anyone(200)),
    ("GET", "/static/<path:filename>"): ("/static/js/proctor.js", None, anyone(200)),
    ("GET", "/api/v1/health"): ("/api/v1/health", None, anyone(200)),
    ("GET", "/api/v1/public-key"): ("/api/v1/public-key", None, anyone(200)),
    # public by design: anybody may check a receipt; the board shows finished scores outside the room
    ("POST", "/api/v1/receipts/verify"): ("/api/v1/receipts/verify", {}, anyone((400, "bad_request"))),
    ("POST", "/api/v1/receipts/qr"): ("/api/v1/receipts/qr", {}, anyone((400, "bad_request"))),  # signed ones only
    ("GET", "/favicon.ico"): ("/favicon.ico", None, anyone(200)),
    ("GET", "/receipt"): ("/receipt", None, anyone(200)),
    ("POST", "/receipt"): ("/receipt", {}, anyone(200)),
    ("GET", "/board/<code>"): ("/board/DEMO-R1", None, anyone(200)),
    ("POST", "/api/v1/candidate/login"): (
        "/api/v1/candidate/login", {"participant_no": "1", "pin": "1", "room_token": "NOSUCH"},
        anyone((401, "bad_credentials")),
    ),
    ("GET", "/api/v1/candidate/media/<label>"): (
        "/api/v1/candidate/media/AAAAAAAAAAAA", None,
        cells((401, "bad_token"), candidate=(409, "not_started")),  # the token rides in the Authorization header
    ),
    ("GET", "/api/v1/committee/exams/<code>/announcement"): (
        "/api/v1/committee/exams/{exam}/announcement", None, committee_api(),
    ),
    ("GET", "/api/v1/committee/exams/<code>/final"): ("/api/v1/committee/exams/{exam}/final", None, committee_api()),
    # storing or signing is refused while a paper of the exam is open (the demo's papers are mid-exam)
    ("POST", "/api/v1/committee/exams/<code>/final"): (
        "/api/v1/committee/exams/{exam}/final", {}, committee_api((409, "papers_open"))),
    ("POST", "/api/v1/committee/exams/<code>/export"): (
        "/api/v1/committee/exams/{exam}/export", {}, committee_api((409, "papers_open"))),
    ("GET", "/committee/analysis/<code>"): (
        "/committee/analysis/{exam}", None,
        cells((302, "/staff/login"), other_proctor=403, proctor=403, committee=(404, "analysis_unavailable"),
              admin=(404, "analysis_unavailable")),
    ),
    ("POST", "/committee/analysis/<code>"): (  # a browser form: sign-in page and HTML 403 rather than JSON
        "/committee/analysis/{exam}", {},
        cells((302, "/staff/login"), other_proctor=403, proctor=403, committee=(404, "analysis_unavailable"),
              admin=(404, "analysis_unavailable")),
    ),
    ("GET", "/proctor/"): ("/proctor/", None, staff_page(200)),
    ("GET", "/committee/"): ("/committee/", None, console_page(200)),
    ("GET", "/proctor/rooms/<int(max=2147483647):room_id>/summary"): (
        "/proctor/rooms/{room}/summary", None, staff_page(200, other=(403, "forbidden_room")),
    ),
    ("GET", "/proctor/rooms/<int(max=2147483647):room_id>/summary.csv"): (
        "/proctor/rooms/{room}/summary.csv", None, staff_page(200, other=(403, "forbidden_room")),
    ),
    ("GET", "/proctor/rooms/<int(max=2147483647):room_id>/summary.pdf"): (
        "/proctor/rooms/{room}/summary.pdf", None, staff_page(200, other=(403, "forbidden_room")),
    ),
    # staff land on their role's home: the console for committee and admin, the dashboard for proctors
    ("GET", "/staff/"): ("/staff/", None, cells((302, "/proctor/"), committee=(302, "/committee/"),
                                                admin=(302, "/committee/"))),
    ("GET", "/staff/login"): ("/staff/login", None, cells((302, "/proctor/"), anonymous=200, candidate=200,
                                                          disabled=200, committee=(302, "/committee/"),
                                                          admin=(302, "/committee/"))),
    # a form post without the session's CSRF token is refused before the password is even looked at
    ("POST", "/staff/login"): ("/staff/login", {}, cells(401, anonymous=403, candidate=403)),
    ("GET", "/api/v1/staff/session"): (
        "/api/v1/staff/session", None, cells(200, anonymous=(401, "not_signed_in"), candidate=(401, "not_signed_in"),
                                             disabled=(401, "not_signed_in")),
    ),
    ("POST", "/api/v1/staff/session"): ("/api/v1/staff/session", {}, anyone((400, "bad_request"))),
    # the two sign-outs end the sign-in: they run last, each on a fresh sign-in of its own
    ("DELETE", "/api/v1/staff/session"): (
        "/api/v1/staff/session", None, cells(200, anonymous=(401, "not_signed_in"), candidate=(401, "not_signed_in"),
                                             disabled=(401, "not_signed_in")),
    ),
    ("POST", "/staff/logout"): (
        "/staff/logout", {}, cells((302, "/staff/login"), anonymous=(403, "csrf_failed"),
                                   candidate=(403, "csrf_failed")),
    ),
}
# the registration portal (issue 17): staff and candidates are strangers to it (applicant pages send them to the
# applicant's sign-in); a form post without the session's CSRF token is refused; the verifiers' pages are staff pages
PORTAL_PAGE = anyone((302, "/daftar/login"))
PORTAL_FORM = cells(400, anonymous=403, candidate=403)  # staff send the token (X-CSRF-Token): then the form is read
VERIFIER = cells((302, "/staff/login"), other_proctor=403, proctor=403, committee=200, admin=200)
NO_APPLICATION = cells((302, "/staff/login"), other_proctor=403, proctor=403, committee=(404, "unknown_application"),
                       admin=(404, "unknown_application"))
HTTP |= {
    ("GET", "/daftar/"): ("/daftar/", None, anyone(200)),
    ("GET", "/daftar/register"): ("/daftar/register", None, anyone(200)),
    ("POST", "/daftar/register"): ("/daftar/register", {}, PORTAL_FORM),
    ("GET", "/daftar/login"): ("/daftar/login", None, anyone(200)),
    ("POST", "/daftar/login"): ("/daftar/login", {}, cells(401, anonymous=403, candidate=403)),
    ("POST", "/daftar/logout"): ("/daftar/logout", {}, cells((302, "/daftar/"), anonymous=(403, "csrf_failed"),
                                                             candidate=(403, "csrf_failed"))),
    ("GET", "/daftar/verify"): ("/daftar/verify", None, PORTAL_PAGE),
    ("POST", "/daftar/verify"): ("/daftar/verify", {}, PORTAL_PAGE),
    ("POST", "/daftar/verify/resend"): ("/daftar/verify/resend", {}, PORTAL_PAGE),
    ("GET", "/daftar/account"): ("/daftar/account", None, PORTAL_PAGE),
    ("POST", "/daftar/account/profile"): ("/daftar/account/profile", {}, PORTAL_PAGE),
    ("GET", "/daftar/account/data.json"): ("/daftar/account/data.json", None, PORTAL_PAGE),
    ("GET", "/daftar/r/<code>"): ("/daftar/r/CPNS-X", None, PORTAL_PAGE),
    ("POST", "/daftar/r/<code>/formation"): ("/daftar/r/CPNS-X/formation", {}, PORTAL_PAGE),
    ("POST", "/daftar/r/<code>/documents/<int(max=2147483647):requirement_id>"): (
        "/daftar/r/CPNS-X/documents/1", {}, PORTAL_PAGE),
    ("POST", "/daftar/r/<code>/submit"): ("/daftar/r/CPNS-X/submit", {}, PORTAL_PAGE),
    ("GET", "/daftar/r/<code>/summary.pdf"): ("/daftar/r/CPNS-X/summary.pdf", None, PORTAL_PAGE),
    ("GET", "/daftar/documents/<int(max=2147483647):doc_id>"): ("/daftar/documents/1", None, PORTAL_PAGE),
    ("GET", "/verifikasi/"): ("/verifikasi/", None, VERIFIER),
    ("GET", "/verifikasi/applications/<int(max=2147483647):application_id>"): (
        "/verifikasi/applications/1", None, NO_APPLICATION),
    ("POST", "/verifikasi/applications/<int(max=2147483647):application_id>/requirements/"
             "<int(max=2147483647):requirement_id>"): (
        "/verifikasi/applications/1/requirements/1", {},  # sent as JSON here: the answers are JSON too
        cells((401, "not_signed_in"), other_proctor=(403, "forbidden"), proctor=(403, "forbidden"),
              committee=(404, "unknown_application"), admin=(404, "unknown_application"))),
    ("GET", "/verifikasi/documents/<int(max=2147483647):doc_id>"): (
        "/verifikasi/documents/1", None, cells((302, "/staff/login"), other_proctor=403, proctor=403,
                                               committee=(404, "unknown_document"), admin=(404, "unknown_document"))),
    ("POST", "/daftar/r/<code>/objection"): ("/daftar/r/CPNS-X/objection", {}, PORTAL_PAGE),
    ("POST", "/verifikasi/applications/<int(max=2147483647):application_id>/requirements/"
             "<int(max=2147483647):requirement_id>/confirm"): (
        "/verifikasi/applications/1/requirements/1/confirm", {},
        cells((401, "not_signed_in"), other_proctor=(403, "forbidden"), proctor=(403, "forbidden"),
              committee=(404, "unknown_application"), admin=(404, "unknown_application"))),
    ("GET", "/daftar/r/<code>/card.pdf"): ("/daftar/r/CPNS-X/card.pdf", None, PORTAL_PAGE),
    ("POST", "/verifikasi/applications/<int(max=2147483647):application_id>/objection"): (  # the committee answers
        "/verifikasi/applications/1/objection", {},
        cells((401, "not_signed_in"), other_proctor=(403, "forbidden"), proctor=(403, "forbidden"),
              committee=(404, "unknown_application"), admin=(404, "unknown_application"))),
}
# the results pages (issue 16): committee console pages; a form without a choice is refused with the page (400)
HTTP |= {
    ("GET", "/committee/results/"): ("/committee/results/", None, console_page(200)),
    ("GET", "/committee/results/audit"): ("/committee/results/audit", None, console_page(200)),
    ("GET", "/committee/results/<code>"): ("/committee/results/{exam}", None, console_page(200)),
    ("GET", "/committee/results/<code>/rankings"): (
        "/committee/results/{exam}/rankings", None, console_page(200)),
    ("GET", "/committee/results/<code>/annul"): (
        "/committee/results/{exam}/annul", None, console_page(200)),
    ("POST", "/committee/results/<code>/annul/preview"): (
        "/committee/results/{exam}/annul/preview", {}, console_page(400)),
    ("POST", "/committee/results/<code>/annul"): (
        "/committee/results/{exam}/annul", {}, console_page(400)),
    ("POST", "/committee/results/<code>/announcement"): (
        "/committee/results/{exam}/announcement", {"format": "none"}, console_page(400)),
    ("GET", "/committee/analysis/"): ("/committee/analysis/", None, console_page(200)),
}
HTTP |= {  # SKB scores and the final selection (issue 16)
    ("GET", "/committee/results/<code>/final"): ("/committee/results/{exam}/final", None, console_page(200)),
    ("POST", "/committee/results/<code>/final/preview"): (
        "/committee/results/{exam}/final/preview", {}, console_page(400)),
    ("POST", "/committee/results/<code>/final/commit"): (
        "/committee/results/{exam}/final/commit", {}, console_page(409)),
    ("POST", "/committee/results/<code>/final/store"): (
        "/committee/results/{exam}/final/store", {}, console_page(409)),
    ("POST", "/committee/results/<code>/final/announcement"): (
        "/committee/results/{exam}/final/announcement", {"format": "none"}, console_page(400)),
}
HTTP |= {  # the public check of a signed document (issue 16): anyone; an empty form is refused (400)
    ("GET", "/verify"): ("/verify", None, anyone(200)),
    ("POST", "/verify"): ("/verify", {}, anyone(400)),
}
HTTP |= {  # onboarding (issue 16): console pages; the demo exam has no records yet
    ("GET", "/committee/results/<code>/onboarding"): ("/committee/results/{exam}/onboarding", None, console_page(200)),
    ("POST", "/committee/results/<code>/onboarding"): ("/committee/results/{exam}/onboarding", {}, console_page(409)),
    ("GET", "/committee/results/<code>/onboarding/<number>"): (
        "/committee/results/{exam}/onboarding/NOPE", None, cells((302, "/staff/login"), other_proctor=403, proctor=403,
                                                         committee=(404, "unknown_record"),
                                                         admin=(404, "unknown_record"))),
    ("POST", "/committee/results/<code>/onboarding/<number>"): (
        "/committee/results/{exam}/onboarding/NOPE", {}, cells((302, "/staff/login"), other_proctor=403, proctor=403,
                                                       committee=(404, "unknown_record"),
                                                       admin=(404, "unknown_record"))),
}
HTTP |= {  # objections (issue 16): the candidates' public page (CSRF first; staff send the token, then an empty form
    # names no exam: 400) and the committee's pages (a form without a choice: 400; no objection 0: 404)
    ("GET", "/sanggah"): ("/sanggah", None, anyone(200)),
    ("POST", "/sanggah"): ("/sanggah", {}, cells(400, anonymous=403, candidate=403)),
    ("POST", "/sanggah/status"): ("/sanggah/status", {}, cells(400, anonymous=403, candidate=403)),
    ("GET", "/committee/results/<code>/objections"): ("/committee/results/{exam}/objections", None, console_page(200)),
    ("POST", "/committee/results/<code>/objections/window"): (
        "/committee/results/{exam}/objections/window", {}, console_page(400)),
    ("POST", "/committee/results/<code>/objections/<int(max=2147483647):objection_id>"): (
        "/committee/results/{exam}/objections/0", {}, console_page(400)),
    ("GET", "/committee/results/<code>/objections/<int(max=2147483647):objection_id>/attachment"): (
        "/committee/results/{exam}/objections/0/attachment", None, console_page((404, "unknown_objection"))),
    ("POST", "/committee/results/<code>/objections/announcement"): (
        "/committee/results/{exam}/objections/announcement", {"format": "none"}, console_page(400)),
    ("POST", "/committee/results/<code>/onboarding/export"): (  # the signed onboarding list (issue 16)
        "/committee/results/{exam}/onboarding/export", {"format": "none"}, console_page(400)),
}
HTTP |= {  # competency assessment (issue 18): console pages (no programme in the demo); the practice review refuses a
    # selection exam's candidate and wants a candidate's token
    ("GET", "/committee/assessment/"): ("/committee/assessment/", None, console_page(200)),
    ("POST", "/committee/assessment/"): ("/committee/assessment/", {}, console_page(400)),
    ("GET", "/committee/assessment/<code>"): (
        "/committee/assessment/NOPE", None, console_page((404, "unknown_programme"))),
    ("POST", "/committee/assessment/<code>/import"): (
        "/committee/assessment/NOPE/import", {}, console_page((404, "unknown_programme"))),
    ("POST", "/committee/assessment/<code>/import/commit"): (
        "/committee/assessment/NOPE/import/commit", {}, console_page((409, "no_upload"))),
    ("POST", "/committee/assessment/<code>/invite"): (
        "/committee/assessment/NOPE/invite", {}, console_page((404, "unknown_programme"))),
    ("POST", "/committee/assessment/<code>/sittings"): (
        "/committee/assessment/NOPE/sittings", {}, console_page((404, "unknown_programme"))),
    ("GET", "/committee/assessment/<code>/staff/<int(max=2147483647):member>"): (
        "/committee/assessment/NOPE/staff/1", None, console_page((404, "unknown_programme"))),
    ("POST", "/committee/assessment/<code>/staff/<int(max=2147483647):member>/report"): (
        "/committee/assessment/NOPE/staff/1/report", {}, console_page((404, "unknown_programme"))),
    ("GET", "/committee/assessment/<code>/report"): (
        "/committee/assessment/NOPE/report", None, console_page((404, "unknown_programme"))),
    ("POST", "/committee/assessment/<code>/report"): (
        "/committee/assessment/NOPE/report", {}, console_page((404, "unknown_programme"))),
    ("GET", "/api/v1/candidate/review"): (
        "/api/v1/candidate/review", None, cells((401, "bad_token"), candidate=(403, "review_refused"))),
}
SIGN_OUTS = {("DELETE", "/api/v1/staff/session"), ("POST", "/staff/logout")}

# the committee console (issue 15): pages for committee and admin only; a form without what it needs is refused on
# the page (HTML, no error code), an action without a preview answers in the error shape; none may touch the
# live world's accounts (a username that does not exist), and opening needs the exam code typed again
CONSOLE_FORM_ERROR = console_page(400)
HTTP |= {
    ("GET", "/committee/bank/"): ("/committee/bank/", None, console_page(200)),
    ("POST", "/committee/bank/preview"): ("/committee/bank/preview", {}, CONSOLE_FORM_ERROR),
    ("POST", "/committee/bank/commit"): ("/committee/bank/commit", {}, console_page((409, "no_upload"))),
    ("GET", "/committee/bank/item/<code>"): ("/committee/bank/item/NOPE", None, console_page((404, "unknown_item"))),
    ("POST", "/committee/bank/item/<code>"): ("/committee/bank/item/NOPE", {}, console_page((404, "unknown_item"))),
    ("POST", "/committee/bank/retire"): ("/committee/bank/retire", {}, CONSOLE_FORM_ERROR),
    ("POST", "/committee/bank/cancel"): ("/committee/bank/cancel", {}, console_page((302, "/committee/bank/"))),
    ("GET", "/committee/blueprints/"): ("/committee/blueprints/", None, console_page(200)),
    ("GET", "/committee/exams/"): ("/committee/exams/", None, console_page(200)),
    ("POST", "/committee/exams/"): ("/committee/exams/", {}, CONSOLE_FORM_ERROR),
    ("GET", "/committee/exams/<code>"): ("/committee/exams/{exam}", None, console_page(200)),
    ("POST", "/committee/exams/<code>/issue"): (
        "/committee/exams/{exam}/issue", {}, console_page((302, "/committee/exams/DEMO-SKD")),
    ),
    ("POST", "/committee/exams/<code>/open"): (
        "/committee/exams/{exam}/open", {}, CONSOLE_FORM_ERROR,
    ),
    ("GET", "/committee/rooms/"): ("/committee/rooms/", None, console_page(200)),
    ("POST", "/committee/rooms/"): ("/committee/rooms/", {}, console_page(404)),
    ("POST", "/committee/rooms/staff"): ("/committee/rooms/staff", {}, CONSOLE_FORM_ERROR),
    ("POST", "/committee/rooms/staff/<code>/active"): (
        "/committee/rooms/staff/nobody/active", {}, console_page(404),
    ),
    ("POST", "/committee/rooms/staff/<code>/assign"): (
        "/committee/rooms/staff/nobody/assign", {}, console_page(404),
    ),
    ("POST", "/committee/rooms/staff/<code>/unassign"): (
        "/committee/rooms/staff/nobody/unassign", {}, console_page(404),
    ),
    ("POST", "/committee/rooms/staff/<code>/password"): (
        "/committee/rooms/staff/nobody/password", {}, console_page(404),
    ),
    ("GET", "/committee/candidates/"): ("/committee/candidates/", None, console_page(200)),
    ("POST", "/committee/candidates/preview"): ("/committee/candidates/preview", {}, CONSOLE_FORM_ERROR),
    ("POST", "/committee/candidates/commit"): (
        "/committee/candidates/commit", {}, console_page((409, "no_upload")),
    ),
    ("POST", "/committee/candidates/move"): ("/committee/candidates/move", {}, console_page(404)),
    ("POST", "/committee/candidates/cancel"): (
        "/committee/candidates/cancel", {}, console_page((302, "/committee/candidates/")),
    ),
    ("GET", "/committee/candidates/attendance/<code>"): (
        "/committee/candidates/attendance/DEMO-R1", None, console_page(200),
    ),
    ("GET", "/committee/candidates/cards/<code>"): (
        "/committee/candidates/cards/pins-X-20260101T000000?room=R1", None, console_page((404, "unknown_pins")),
    ),
}

HTTP |= {  # exam sessions in the console (issue 15): the demo exam has no session NOPE; an empty form is refused
    ("POST", "/committee/exams/<code>/sessions/"): ("/committee/exams/{exam}/sessions/", {}, CONSOLE_FORM_ERROR),
    ("GET", "/committee/exams/<code>/sessions/<sitting>"): (
        "/committee/exams/{exam}/sessions/NOPE", None, console_page((404, "unknown_session"))),
    ("POST", "/committee/exams/<code>/sessions/<sitting>/rooms"): (
        "/committee/exams/{exam}/sessions/NOPE/rooms", {}, console_page((404, "unknown_session"))),
    ("POST", "/committee/exams/<code>/sessions/<sitting>/open"): (
        "/committee/exams/{exam}/sessions/NOPE/open", {}, console_page((404, "unknown_session"))),
    ("POST", "/committee/exams/<code>/sessions/<sitting>/close"): (
        "/committee/exams/{exam}/sessions/NOPE/close", {}, console_page((404, "unknown_session"))),
    # one candidate (photo, accommodations): nobody by that number in the demo exam
    ("GET", "/committee/candidates/person/<code>/<number>"): (
        "/committee/candidates/person/{exam}/NOPE", None, console_page((404, "unknown_candidate"))),
    ("GET", "/committee/candidates/person/<code>/<number>/photo"): (
        "/committee/candidates/person/{exam}/NOPE/photo", None, console_page((404, "unknown_candidate"))),
    ("POST", "/committee/candidates/person/<code>/<number>/photo"): (
        "/committee/candidates/person/{exam}/NOPE/photo", {}, console_page((404, "unknown_candidate"))),
    ("POST", "/committee/candidates/person/<code>/<number>/accommodations"): (
        "/committee/candidates/person/{exam}/NOPE/accommodations", {}, console_page((404, "unknown_candidate"))),
    # staff password reset links: a console action; the link's page is anyone's (the token is the key)
    ("POST", "/committee/rooms/staff/<code>/reset-link"): (
        "/committee/rooms/staff/nobody/reset-link", {}, console_page(404)),
    ("GET", "/staff/reset/<token>"): ("/staff/reset/NOPE", None, anyone(404)),
    ("GET", "/committee/bank/media/<code>"): ("/committee/bank/media/NOPE", None, console_page((404, "not_found"))),
    ("POST", "/staff/reset/<token>"): ("/staff/reset/NOPE", {}, cells(404, anonymous=(403, "csrf_failed"),
                                                                       candidate=(403, "csrf_failed"))),
}
# the console's recruitment pages and the portal's announcements and erasure request (issue 17, lane l17): a form
# without its times is refused on the page; an unknown recruitment or person is a 404; the published lists are public
NO_RECRUITMENT = console_page((404, "unknown_recruitment"))
HTTP |= {
    ("GET", "/committee/recruitments/"): ("/committee/recruitments/", None, console_page(200)),
    ("POST", "/committee/recruitments/"): ("/committee/recruitments/", {}, CONSOLE_FORM_ERROR),
    ("POST", "/committee/recruitments/erasure/<int(max=2147483647):person_id>"): (
        "/committee/recruitments/erasure/1", {}, console_page(404)),
    ("GET", "/committee/recruitments/<code>"): ("/committee/recruitments/NOPE", None, NO_RECRUITMENT),
    ("POST", "/committee/recruitments/<code>"): ("/committee/recruitments/NOPE", {}, NO_RECRUITMENT),
    ("POST", "/committee/recruitments/<code>/formations"): (
        "/committee/recruitments/NOPE/formations", {}, NO_RECRUITMENT),
    ("POST", "/committee/recruitments/<code>/documents"): (
        "/committee/recruitments/NOPE/documents", {}, NO_RECRUITMENT),
    ("POST", "/committee/recruitments/<code>/announce"): (
        "/committee/recruitments/NOPE/announce", {}, NO_RECRUITMENT),
    ("POST", "/committee/recruitments/<code>/expire"): ("/committee/recruitments/NOPE/expire", {}, NO_RECRUITMENT),
    ("GET", "/daftar/pengumuman"): ("/daftar/pengumuman", None, anyone(200)),
    ("GET", "/daftar/pengumuman/<code>/<name>"): (
        "/daftar/pengumuman/NOPE/result.pdf", None, anyone((404, "unknown_announcement"))),
    ("POST", "/daftar/account/erasure"): ("/daftar/account/erasure", {}, PORTAL_PAGE),
    ("GET", "/verifikasi/applications/<int(max=2147483647):application_id>/objection/attachment"): (
        "/verifikasi/applications/1/objection/attachment", None,
        cells((302, "/staff/login"), other_proctor=403, proctor=403, committee=(404, "unknown_document"),
              admin=(404, "unknown_document"))),
}

HTTP |= {  # seating a recruitment's eligible by site (issue 15): the empty form names no recruitment (the page, 404)
    ("GET", "/committee/exams/<code>/seating/"): ("/committee/exams/{exam}/seating/", None, console_page(200)),
    ("POST", "/committee/exams/<code>/seating/preview"): (
        "/committee/exams/{exam}/seating/preview", {}, console_page(404)),
    ("POST", "/committee/exams/<code>/seating/"): ("/committee/exams/{exam}/seating/", {}, console_page(404)),
}


@dataclass(frozen=True)
class Surface:
    """What an app configured as in production (no test clock) answers: its routes and Socket.IO namespaces."""

    app: Flask
    routes: set[tuple[str, str]]  # (method, rule)
    namespaces: dict[str, type]  # namespace -> its handler class


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Surface:
    tmp = tmp_path_factory.mktemp("production")
    app = create_app(Config(data_dir=tmp, database_url=f"sqlite:///{tmp}/x.sqlite3", testing_clock=False),
                     async_mode="threading")
    routes = {(m, r.rule) for r in app.url_map.iter_rules() for m in (r.methods or set()) - {"HEAD", "OPTIONS"}}
    return Surface(app, routes, {ns: type(h) for ns, h in socketio_ext.server.namespace_handlers.items()})


def test_every_route_is_classified(production: Surface) -> None:
    routes = production.routes
    assert not routes & TEST_ONLY, "the test clock must not exist in production"
    missing = routes - set(HTTP)
    assert not missing, f"classify these routes in HTTP (expected outcome per actor): {sorted(missing)}"
    assert not set(HTTP) - routes, f"routes classified but gone: {sorted(set(HTTP) - routes)}"


class World:
    """The live server, its rooms and each actor's clients."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        with db.session_scope(server.db_url) as s:
            a = s.scalar(select(Room).where(Room.code == "DEMO-R1"))
            b = Room(exam_id=a.exam_id, code="DEMO-R2", name="Ruang 2", token="BBBBBB", is_open=True, capacity=10)
            s.add(b)
            s.flush()
            create_staff(s, "pengawas2", "room-b-password", "proctor")
            assign(s, "pengawas2", "DEMO-R2")
            create_staff(s, "admin1", "admin-password-1", "admin")
            create_staff(s, "pengawas3", "disabled-password", "proctor")
            assign(s, "pengawas3", "DEMO-R1")
            self.room, self.room_b, self.exam = a.id, b.id, a.exam.code
        roles = {s["role"]: (s["username"], s["password"]) for s in server.creds["staff"]}
        self.passwords = {
            "other_proctor": ("pengawas2", "room-b-password"), "proctor": roles["proctor"],
            "committee": roles["committee"], "admin": ("admin1", "admin-password-1"),
            "disabled": ("pengawas3", "disabled-password"),
        }
        self.http = {a: self.sign_in(a) if a in self.passwords else requests.Session() for a in ACTORS}
        self.token = server.token(0)
        with db.session_scope(server.db_url) as s:
            set_active(s, "pengawas3", False)  # signed in first: the old cookie is what an attacker would hold

    def sign_in(self, actor: str) -> requests.Session:
        h = requests.Session()
        r = h.post(self.server.url + "/api/v1/staff/session", json=dict(zip(("username", "password"),
                                                                             self.passwords[actor], strict=True)),
                   timeout=30)
        assert r.status_code == 200, r.text
        h.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return h

    def cookie(self, actor: str) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.http[actor].cookies)

    def candidate_id(self, i: int) -> int:
        number = self.server.creds["candidates"][i]["participant_no"]
        with db.session_scope(self.server.db_url) as s:
            return s.scalar(select(Candidate.id).where(Candidate.participant_no == number))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    server = LiveServer(tmp_path_factory.mktemp("authz") / "data", None)
    try:
        server.start()
        yield World(server)
    finally:
        server.stop()


def outcome(r: requests.Response) -> tuple[int, str | None]:
    """(status, error code | redirect path | None); an error answer must have the one error shape."""
    if r.is_redirect:
        return r.status_code, r.headers["Location"].split("?")[0]
    if r.status_code >= 400 and r.headers.get("Content-Type", "").startswith("application/json"):
        body = r.json()
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
        return r.status_code, body["error"]["code"]
    return r.status_code, None


def matches(got: tuple[int, str | None], want: Expect) -> bool:
    if isinstance(want, int):
        return got[0] == want
    return got == want


def http_call(world: World, actor: str, key: tuple[str, str]) -> tuple[int, str | None]:
    method, _rule = key
    template, body, _ = HTTP[key]
    path = template.format(exam=world.exam, room=world.room)
    client = world.http[actor]
    if key in SIGN_OUTS and actor in STAFF:
        client = world.sign_in(actor)  # a fresh sign-in to end, so the others stay signed in
    headers = {"Authorization": f"Bearer {world.token}"} if actor == "candidate" else None
    forms = ("/staff", "/receipt", "/committee/", "/sanggah")
    kwargs: dict[str, Any] = {"json": body} if body is not None and not key[1].startswith(forms) else {}
    if body is not None and "json" not in kwargs:
        kwargs["data"] = body  # the HTML forms
    r = client.request(method, world.server.url + path, headers=headers, allow_redirects=False,
                       timeout=60, **kwargs)
    return outcome(r)


ORDERED = sorted(set(HTTP) - SIGN_OUTS) + sorted(SIGN_OUTS)


@pytest.mark.parametrize("key", ORDERED, ids=[f"{m} {r}" for m, r in ORDERED])
def test_http_route(world: World, key: tuple[str, str]) -> None:
    expected = HTTP[key][2]
    wrong = {}
    for actor in ACTORS:
        got = http_call(world, actor, key)
        if not matches(got, expected[actor]):
            wrong[actor] = (got, expected[actor])
    assert not wrong, f"{key}: actor -> (got, expected): {wrong}"


def test_the_test_clock_is_absent_in_production(production: Surface) -> None:
    """The live test server has it; an installation without EXAM_TESTING_CLOCK=1 answers 404."""
    assert production.app.test_client().post("/api/v1/_test/clock", json={"advance_s": 1}).status_code == 404


# --- Socket.IO ----------------------------------------------------------------------------------------------------


def handler_events(cls: type) -> set[str]:
    """Client events a namespace class handles (``on_x`` methods and hot events), lifecycle names left out."""
    names = {n[3:] for n, _ in inspect.getmembers(cls, inspect.isfunction) if n.startswith("on_")}
    return (names | set(getattr(cls, "HOT_EVENTS", ()))) - {"connect", "disconnect"}


def connect(world: World, actor: str, namespace: str) -> tuple[socketio.Client, str]:
    """A real client of ``actor``: returns it and "connected" or the refusal's error code."""
    refused: list[Any] = []
    sio = socketio.Client(reconnection=False)
    sio.on("connect_error", lambda data=None: refused.append(data), namespace=namespace)
    headers = {"Cookie": world.cookie(actor)} if actor in world.passwords else {}
    auth = {"access_token": world.token} if actor == "candidate" else None
    try:
        sio.connect(world.server.url, namespaces=[namespace], headers=headers, auth=auth, transports=["websocket"],
                    wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        data = refused[0] if refused else None
        code = (data.get("data") or {}).get("code") if isinstance(data, dict) else None
        return sio, code or "refused"
    return sio, "connected"


EXAM_CONNECT = cells("bad_token", candidate="connected")
PROCTOR_CONNECT = cells("connected", anonymous="not_signed_in", candidate="not_signed_in", disabled="not_signed_in")


def proctor_calls(world: World, cand: int) -> list[tuple[str, dict[str, Any], str]]:
    """(event, payload, outcome for a room's staff) in an order in which each succeeds; another room's proctor
    gets ``forbidden_room`` for every one of them (``rooms`` lists only their own room)."""
    r = world.room
    return [
        ("join", {"room": r}, "ok"),
        ("feed", {"room": r}, "ok"),
        ("extend", {"room": r, "candidate": cand, "seconds": 60, "reason": "authz"}, "ok"),
        ("lock", {"room": r, "candidate": cand, "reason": "authz"}, "ok"),
        ("unlock", {"room": r, "candidate": cand, "reason": "authz"}, "ok"),
        ("release", {"room": r, "candidate": cand, "reason": "authz"}, "ok"),
        ("pause_room", {"room": r, "reason": "authz"}, "ok"),
        ("resume_room", {"room": r, "reason": "authz"}, "ok"),
        ("announce", {"room": r, "message": "authz"}, "ok"),
        ("rotate_token", {"room": r, "reason": "authz"}, "ok"),
        ("close_room", {"room": r, "reason": "authz"}, "ok"),
        ("open_room", {"room": r, "reason": "authz"}, "ok"),
        ("clear_lockout", {"room": r, "candidate": cand, "reason": "authz"}, "ok"),
        ("force_submit", {"room": r, "candidate": cand, "reason": "authz"}, "not_started"),  # authorized; not begun
    ]


def ack_outcome(ack: Any) -> str:
    assert isinstance(ack, dict) and "ok" in ack, ack
    if ack["ok"]:
        return "ok"
    assert {"code", "message"} <= set(ack["error"]), ack
    return ack["error"]["code"]


def test_every_event_is_classified(world: World, production: Surface) -> None:
    classified = {
        "/exam": set(EXAM_EVENTS),
        "/proctor": {e for e, _p, _o in proctor_calls(world, 0)} | {"rooms"},
        "/board": {"join"},
    }
    assert set(production.namespaces) == set(classified), "classify the new namespace's events here (and test them)"
    for namespace, handler in production.namespaces.items():
        assert handler_events(handler) == classified[namespace], f"classify the new {namespace} events here"


EXAM_EVENTS = {  # the candidate's own paper only: no payload names a paper, so nobody else's can be reached
    "prefetch": (None, "ok"),
    "start": (None, "ok"),
    "answer": ({"question": "not-on-the-paper", "option": None, "seq": 1}, "unknown_question"),
    "flag": ({"question": "not-on-the-paper", "flagged": True, "seq": 1}, "unknown_question"),
    "focus": ({"kind": "blur"}, "ok"),
    "submit": (None, "ok"),
}


def test_exam_namespace(world: World) -> None:
    got = {}
    for actor in ACTORS:
        sio, state = connect(world, actor, "/exam")
        got[actor] = state
        if state == "connected":
            seen = {e: ack_outcome(sio.call(e, p, namespace="/exam", timeout=30)) for e, (p, _o) in EXAM_EVENTS.items()}
            assert seen == {e: o for e, (_p, o) in EXAM_EVENTS.items()}, seen
        sio.disconnect()
    assert got == EXAM_CONNECT


def test_proctor_namespace(world: World) -> None:
    cand = world.candidate_id(1)
    got = {}
    for actor in ACTORS:
        sio, state = connect(world, actor, "/proctor")
        got[actor] = state
        if state != "connected":
            continue
        try:
            rooms = sio.call("rooms", None, namespace="/proctor", timeout=30)
            assert rooms["ok"]
            ids = {r["id"] for r in rooms["rooms"]}
            if actor == "other_proctor":
                assert ids == {world.room_b}
            elif actor == "proctor":
                assert ids == {world.room}
            else:
                assert ids == {world.room, world.room_b}
            for event, payload, ok in proctor_calls(world, cand):
                want = "forbidden_room" if actor == "other_proctor" else ok
                have = ack_outcome(sio.call(event, payload, namespace="/proctor", timeout=60))
                assert have == want, (actor, event, have, want)
        finally:
            sio.disconnect()
    assert got == PROCTOR_CONNECT


def test_board_namespace_is_public_and_shows_no_token(world: World) -> None:
    """The score board outside the room: anyone may watch, and the room card carries no room token."""
    for actor in ACTORS:
        sio, state = connect(world, actor, "/board")
        try:
            assert state == "connected", (actor, state)
            ack = sio.call("join", {"room": "DEMO-R1"}, namespace="/board", timeout=30)
            assert ack["ok"] and "token" not in ack["room"], (actor, ack)
            assert ack_outcome(sio.call("join", {"room": "NOSUCH"}, namespace="/board", timeout=30)) == "unknown_room"
        finally:
            sio.disconnect()


UNSAFE_STAFF = [k for k in HTTP if k[0] in ("POST", "DELETE") and HTTP[k][2]["committee"] != HTTP[k][2]["anonymous"]]


@pytest.mark.parametrize("key", UNSAFE_STAFF, ids=[f"{m} {r}" for m, r in UNSAFE_STAFF])
def test_unsafe_staff_routes_need_the_csrf_token(world: World, key: tuple[str, str]) -> None:
    """A signed-in committee member's cookie alone (a forged cross-site request) changes nothing: 403."""
    method, _rule = key
    template, body, _ = HTTP[key]
    client = world.sign_in("committee")
    client.headers.pop("X-CSRF-Token")
    form = key[1].startswith(("/staff", "/committee/"))
    r = client.request(method, world.server.url + template.format(exam=world.exam, room=world.room),
                       allow_redirects=False, timeout=60, **({"data": body} if form else {"json": body}))
    got = outcome(r)
    assert got[0] == 403 and got[1] in ("csrf_failed", None), (key, got)


def test_a_dashboard_open_when_the_account_is_disabled_can_do_nothing(world: World) -> None:
    """Disabled while watching: the next action is refused (or the dashboard is already closed), never done."""
    with db.session_scope(world.server.db_url) as s:
        create_staff(s, "pengawas4", "soon-disabled-pw", "proctor")
        assign(s, "pengawas4", "DEMO-R1")
    world.passwords["late"] = ("pengawas4", "soon-disabled-pw")
    world.http["late"] = world.sign_in("late")
    sio, state = connect(world, "late", "/proctor")
    assert state == "connected"
    try:
        assert sio.call("join", {"room": world.room}, namespace="/proctor", timeout=30)["ok"]
        with db.session_scope(world.server.db_url) as s:
            set_active(s, "pengawas4", False)
        try:
            ack = sio.call("lock", {"room": world.room, "candidate": world.candidate_id(2), "reason": "late"},
                           namespace="/proctor", timeout=30)
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError,
                socketio.exceptions.DisconnectedError):
            ack = {"ok": False, "error": {"code": "closed", "message": "the dashboard was closed"}}
        assert ack_outcome(ack) in ("not_signed_in", "closed"), ack
    finally:
        sio.disconnect()
    with db.session_scope(world.server.db_url) as s:
        assert not s.scalar(select(Paper.locked).where(Paper.candidate_id == world.candidate_id(2)))
        assert not s.scalars(select(AuditEvent).where(AuditEvent.actor == "staff:pengawas4",
                                                AuditEvent.action.like("proctor.%"))).first()
