"""Hostile input over every HTTP route: no 5xx, no ``internal``, the one error shape every time.

Hypothesis sends arbitrary JSON (deep nesting, huge integers, wrong types), raw bytes and odd path values to every
route, anonymously and as a signed-in admin. ``make test`` runs a short version; ``-m slow`` (``make bench``'s
companion) the 10,000-request one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exam_engine.app import create_app
from ground import db
from ground.config import Config
from ground.staff.accounts import create_staff
from tests.fuzzing import HTTP_KEYS, path_values
from tests.fuzzing import json_values as json_values_of

PASSWORD = "correct horse battery"
JSON_ROUTES = [
    "/api/v1/candidate/login", "/api/v1/staff/session", "/api/v1/receipts/verify",
    "/api/v1/committee/exams/{code}/final", "/api/v1/committee/exams/{code}/export", "/api/v1/receipts/qr",
]
GET_ROUTES = [
    "/api/v1/committee/exams/{code}/announcement", "/api/v1/committee/exams/{code}/final",
    "/proctor/rooms/{n}/summary", "/proctor/rooms/{n}/summary.csv", "/proctor/rooms/{n}/summary.pdf",
    "/api/v1/candidate/media/{code}", "/board/{code}", "/committee/analysis/{code}",
]
FORM_ROUTES = ["/staff/login", "/receipt", "/committee/analysis/{code}"]
FORM_ROUTES += [  # the committee console (issue 15)
    "/committee/bank/preview", "/committee/bank/commit", "/committee/bank/cancel", "/committee/bank/retire",
    "/committee/bank/item/{code}", "/committee/exams/",
    "/committee/exams/{code}/issue", "/committee/exams/{code}/open", "/committee/rooms/", "/committee/rooms/staff",
    "/committee/rooms/staff/{code}/active", "/committee/rooms/staff/{code}/assign",
    "/committee/rooms/staff/{code}/unassign", "/committee/rooms/staff/{code}/password",
    "/committee/candidates/preview", "/committee/candidates/commit", "/committee/candidates/cancel",
    "/committee/candidates/move",
]
GET_ROUTES += [
    "/committee/bank/", "/committee/bank/item/{code}", "/committee/blueprints/", "/committee/exams/",
    "/committee/exams/{code}", "/committee/rooms/",
    "/committee/candidates/", "/committee/candidates/cards/{code}", "/committee/candidates/attendance/{code}",
]
# routes that read no body and no path value: nothing to fuzz ((method, rule) as in the app's url_map)
PLAIN = {
    ("GET", "/"), ("GET", "/api/v1/health"), ("GET", "/api/v1/public-key"), ("GET", "/static/<path:filename>"),
    ("GET", "/staff/"), ("GET", "/staff/login"), ("POST", "/staff/logout"), ("GET", "/api/v1/staff/session"),
    ("DELETE", "/api/v1/staff/session"), ("GET", "/receipt"), ("GET", "/proctor/"), ("GET", "/favicon.ico"),
    ("GET", "/committee/"),
}
FORM_ROUTES += [  # the results pages (issue 16)
    "/committee/results/{code}/announcement", "/committee/results/{code}/annul/preview",
    "/committee/results/{code}/annul",
]
GET_ROUTES += ["/committee/results/{code}", "/committee/results/{code}/rankings", "/committee/results/{code}/annul"]
PLAIN |= {("GET", "/committee/results/"), ("GET", "/committee/results/audit"), ("GET", "/committee/analysis/")}
FORM_ROUTES += ["/committee/results/{code}/final/preview", "/committee/results/{code}/final/commit",
                "/committee/results/{code}/final/store", "/committee/results/{code}/final/announcement"]
GET_ROUTES += ["/committee/results/{code}/final"]
# onboarding (issue 16)
FORM_ROUTES += ["/committee/results/{code}/onboarding", "/committee/results/{code}/onboarding/<number>"]
GET_ROUTES += ["/committee/results/{code}/onboarding", "/committee/results/{code}/onboarding/<number>"]
FORM_ROUTES += ["/verify"]  # the public check of a signed document (issue 16)
PLAIN |= {("GET", "/verify")}

# the registration portal (issue 17): path template (a fuzzed value in {v}) -> the rule it exercises
INT = "<int(max=2147483647):{}>"
PORTAL_GET = {
    "/daftar/r/{v}": "/daftar/r/<code>", "/daftar/r/{v}/summary.pdf": "/daftar/r/<code>/summary.pdf",
    "/daftar/documents/{v}": "/daftar/documents/" + INT.format("doc_id"),
    "/daftar/r/{v}/card.pdf": "/daftar/r/<code>/card.pdf",
    "/verifikasi/applications/{v}": "/verifikasi/applications/" + INT.format("application_id"),
    "/verifikasi/documents/{v}": "/verifikasi/documents/" + INT.format("doc_id"),
}
PORTAL_FORM = {
    "/daftar/register": "/daftar/register", "/daftar/login": "/daftar/login", "/daftar/verify": "/daftar/verify",
    "/daftar/account/profile": "/daftar/account/profile", "/daftar/r/{v}/formation": "/daftar/r/<code>/formation",
    "/daftar/r/{v}/submit": "/daftar/r/<code>/submit",
    "/daftar/r/{v}/documents/1": "/daftar/r/<code>/documents/" + INT.format("requirement_id"),
    "/verifikasi/applications/1/requirements/{v}": "/verifikasi/applications/" + INT.format("application_id")
    + "/requirements/" + INT.format("requirement_id"),
    "/daftar/r/{v}/objection": "/daftar/r/<code>/objection",
    "/verifikasi/applications/1/requirements/{v}/confirm": "/verifikasi/applications/" + INT.format(
        "application_id") + "/requirements/" + INT.format("requirement_id") + "/confirm",
    "/verifikasi/applications/{v}/objection": "/verifikasi/applications/" + INT.format("application_id") + "/objection",
}
PLAIN |= {  # no body, no path value
    ("GET", "/daftar/"), ("GET", "/daftar/register"), ("GET", "/daftar/login"), ("GET", "/daftar/verify"),
    ("POST", "/daftar/verify/resend"), ("POST", "/daftar/logout"), ("GET", "/daftar/account"),
    ("GET", "/daftar/account/data.json"), ("GET", "/verifikasi/"),
}
# the console's recruitment pages, the portal's announcements and erasure request (issue 17, lane l17)
FORM_ROUTES += ["/committee/recruitments/", "/committee/recruitments/{code}",
                "/committee/recruitments/{code}/formations", "/committee/recruitments/{code}/documents",
                "/committee/recruitments/{code}/announce",
                "/committee/recruitments/{code}/expire"]
GET_ROUTES += ["/committee/recruitments/{code}"]
PORTAL_GET |= {
    "/daftar/pengumuman/{v}/result.pdf": "/daftar/pengumuman/<code>/<name>",
    "/verifikasi/applications/{v}/objection/attachment": "/verifikasi/applications/" + INT.format("application_id")
    + "/objection/attachment",
}
PORTAL_FORM |= {"/committee/recruitments/erasure/{v}": "/committee/recruitments/erasure/" + INT.format("person_id")}
PLAIN |= {("GET", "/committee/recruitments/"), ("GET", "/daftar/pengumuman"), ("POST", "/daftar/account/erasure")}

# objections (issue 16): the candidates' page and the committee's
FORM_ROUTES += ["/sanggah", "/sanggah/status", "/committee/results/{code}/objections/window",
                "/committee/results/{code}/objections/announcement", "/committee/results/{code}/onboarding/export"]
GET_ROUTES += ["/committee/results/{code}/objections"]
PLAIN |= {("GET", "/sanggah")}
PORTAL_GET["/committee/results/SKD/objections/{v}/attachment"] = (
    "/committee/results/<code>/objections/" + INT.format("objection_id") + "/attachment")
PORTAL_FORM["/committee/results/SKD/objections/{v}"] = "/committee/results/<code>/objections/" + INT.format(
    "objection_id")
# the console's exam sessions (issue 15): a fuzzed exam code or session code in {v}
PORTAL_GET |= {"/committee/exams/SKD/sessions/{v}": "/committee/exams/<code>/sessions/<sitting>"}
PORTAL_FORM |= {
    "/committee/exams/{v}/sessions/": "/committee/exams/<code>/sessions/",
    "/committee/exams/SKD/sessions/{v}/rooms": "/committee/exams/<code>/sessions/<sitting>/rooms",
    "/committee/exams/SKD/sessions/{v}/open": "/committee/exams/<code>/sessions/<sitting>/open",
    "/committee/exams/SKD/sessions/{v}/close": "/committee/exams/<code>/sessions/<sitting>/close",
    "/committee/candidates/person/SKD/{v}/photo": "/committee/candidates/person/<code>/<number>/photo",
    "/committee/candidates/person/SKD/{v}/accommodations":
        "/committee/candidates/person/<code>/<number>/accommodations",
}
PORTAL_GET |= {"/staff/reset/{v}": "/staff/reset/<token>", "/committee/bank/media/{v}": "/committee/bank/media/<code>"}
PORTAL_FORM |= {"/staff/reset/{v}": "/staff/reset/<token>",
                "/committee/rooms/staff/{v}/reset-link": "/committee/rooms/staff/<code>/reset-link"}
PORTAL_GET |= {"/committee/candidates/person/SKD/{v}": "/committee/candidates/person/<code>/<number>",
               "/committee/candidates/person/{v}/1/photo": "/committee/candidates/person/<code>/<number>/photo"}
# competency assessment (issue 18)
FORM_ROUTES += ["/committee/assessment/", "/committee/assessment/{code}/import",
                "/committee/assessment/{code}/import/commit", "/committee/assessment/{code}/invite",
                "/committee/assessment/{code}/sittings", "/committee/assessment/{code}/report"]
GET_ROUTES += ["/committee/assessment/{code}", "/committee/assessment/{code}/report"]
PLAIN |= {("GET", "/committee/assessment/"), ("GET", "/api/v1/candidate/review")}
PORTAL_GET |= {"/committee/assessment/X/staff/{v}": "/committee/assessment/<code>/staff/" + INT.format("member")}
PORTAL_FORM |= {"/committee/assessment/X/staff/{v}/report": "/committee/assessment/<code>/staff/" + INT.format("member")
                + "/report"}
# seating the eligible by site (issue 15): a fuzzed exam code, or a fuzzed recruitment in the form
GET_ROUTES += ["/committee/exams/{code}/seating/"]
FORM_ROUTES += ["/committee/exams/{code}/seating/preview", "/committee/exams/{code}/seating/"]

json_values = json_values_of(HTTP_KEYS)


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    data = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{data / 'exam.sqlite3'}"
    db.upgrade(url)
    with db.session_scope(url) as s:
        create_staff(s, "admin", PASSWORD, "admin")
    yield create_app(Config(data_dir=data, database_url=url, login_attempts=10**9), async_mode="threading")
    db.dispose_all()


def clients(app: Flask) -> list[FlaskClient]:
    anonymous = app.test_client()
    admin = app.test_client()
    r = admin.post("/api/v1/staff/session", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 200, r.json
    admin.environ_base["HTTP_X_CSRF_TOKEN"] = r.json["csrf_token"]
    return [anonymous, admin]


def check(response: Any, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.get_data(as_text=True)[:300]}"
    if response.mimetype == "application/json" and response.status_code >= 400:
        body = response.get_json()
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), f"{what}: {body}"
        assert body["error"]["code"] != "internal", what


def test_deep_nesting_and_garbage_bodies(app: Flask) -> None:
    for client in clients(app):
        for route in JSON_ROUTES:
            path = route.format(code="SKD")
            for body in (deep(50_000), deep(900), b"\xff\xfe\x00garbage", "{\"a\": 1e999999}", "[" * 10, "9" * 5000):
                check(client.post(path, data=body, content_type="application/json"), f"POST {path} {str(body)[:20]}")


@pytest.mark.parametrize("examples", [pytest.param(40, id="short"),
                                      pytest.param(600, id="long", marks=[pytest.mark.slow,
                                                                             pytest.mark.timeout(3600)])])
def test_arbitrary_json_and_paths(app: Flask, examples: int) -> None:
    """Each example sends every JSON route a body, every GET route a path value and every form route a form, as
    anonymous and as admin (the long run: 600 examples × every listed route × 2 clients, some 145,000 requests: its
    own timeout, well past the suite's 300 s)."""
    both = clients(app)

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(body=json_values, value=path_values, form=st.dictionaries(st.text(max_size=10), st.text(max_size=30),
                                                                      max_size=4))
    def run(body: Any, value: str, form: dict[str, str]) -> None:
        raw = json.dumps(body)
        for client in both:
            for route in JSON_ROUTES:
                path = route.format(code="SKD")
                check(client.post(path, data=raw, content_type="application/json"), f"POST {path} {raw[:80]}")
            for route in GET_ROUTES:
                path = route.format(code=value, n=value)
                check(client.get(path), f"GET {path}")
            for route in FORM_ROUTES:
                path = route.format(code="SKD")
                check(client.post(path, data=form), f"POST form {path} {form}")
            for route in PORTAL_GET:
                path = route.format(v=value)
                check(client.get(path), f"GET {path}")
            for route in PORTAL_FORM:
                path = route.format(v=value)
                check(client.post(path, data=form), f"POST form {path} {form}")

    run()


def test_the_routes_listed_are_all_the_routes(app: Flask) -> None:
    """A new route (or a new method on a route) must join the fuzz lists or PLAIN; a route gone leaves them."""

    def rule(template: str) -> str:
        return template.replace("{code}", "<code>").replace("{n}", "<int(max=2147483647):room_id>")

    listed = ({("POST", rule(t)) for t in JSON_ROUTES + FORM_ROUTES} | {("GET", rule(t)) for t in GET_ROUTES}
              | PLAIN | {("GET", r) for r in PORTAL_GET.values()} | {("POST", r) for r in PORTAL_FORM.values()})
    routes = {(m, r.rule.replace("<label>", "<code>")) for r in app.url_map.iter_rules()
              for m in (r.methods or set()) - {"HEAD", "OPTIONS"}}
    assert not routes - listed, f"add these routes to the fuzz lists: {sorted(routes - listed)}"
    assert not listed - routes, f"routes listed but gone: {sorted(listed - routes)}"
