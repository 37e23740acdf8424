"""Login lockouts nobody outside the room can abuse, cleared by the room's proctor, shared across processes.

Real ``exam-engine serve`` processes and real clients; the Redis case runs two processes of one installation that
must count the same failures (EXAM_TEST_REDIS_URL).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from candidate import lockouts
from ground import clock, db
from ground.models import AuditEvent, Room
from ground.ratelimit import FailureLimiter, RedisFailureLimiter, SignInGuard
from ground.staff.accounts import assign, create_staff
from tests.conftest import need_redis
from tests.live import LiveServer
from tests.proctor.clients import Proctor, staff_creds

ATTEMPTS = 3  # EXAM_LOGIN_ATTEMPTS for these servers: a candidate is locked after 3 wrong PINs
LOGIN = "/api/v1/candidate/login"


def _login(server: LiveServer, i: int, *, pin: str | None = None, token: str | None = None,
           address: str = "10.1.1.1", url: str | None = None) -> requests.Response:
    body = server.candidate(i)
    if pin is not None:
        body["pin"] = pin
    if token is not None:
        body["room_token"] = token
    # one trusted proxy (nginx) in front: X-Forwarded-For is the classroom PC's address
    return requests.post((url or server.url) + LOGIN, json=body, headers={"X-Forwarded-For": address}, timeout=20)


def _wrong_pin(server: LiveServer, i: int) -> str:
    return "000000" if server.creds["candidates"][i]["pin"] != "000000" else "111111"


@pytest.fixture
def lserver(tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path / "data", None, EXAM_LOGIN_ATTEMPTS=str(ATTEMPTS), EXAM_TRUSTED_PROXIES="1")
    try:
        yield live.start()
    finally:
        live.stop()


def test_a_wrong_room_token_never_locks_the_candidate_out(lserver: LiveServer) -> None:
    for _ in range(ATTEMPTS * 5):
        r = _login(lserver, 0, pin=_wrong_pin(lserver, 0), token="ZZZZZZ", address="10.9.9.9")
        assert r.status_code == 401 and r.json()["error"]["code"] == "bad_credentials"
    ok = _login(lserver, 0, address="10.1.1.1")
    assert ok.status_code == 200, "guesses without the room token do not touch the real candidate"


def test_a_rotated_token_the_server_remembered_still_counts_against_the_address_only(lserver: LiveServer) -> None:
    # the server remembers a room token's exam after a login (one thread-pool hop per login): once the proctor gives
    # the room a new token, the old one is refused as an unknown token, never as the candidate's wrong PIN
    assert _login(lserver, 3, address="10.2.2.2").status_code == 200
    with db.session_scope(lserver.db_url) as s:
        room = s.get(Room, lserver.room_id())
        assert room is not None
        old, room.token = room.token, "NEWTKN"
    for _ in range(ATTEMPTS * 2):
        r = _login(lserver, 0, pin=_wrong_pin(lserver, 0), token=old, address="10.9.9.8")
        assert r.status_code == 401 and r.json()["error"]["code"] == "bad_credentials", r.text
    refused = _login(lserver, 0, token=old, address="10.1.1.1")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "bad_credentials"
    assert _login(lserver, 0, token="NEWTKN", address="10.1.1.1").status_code == 200, "not locked out"


def test_wrong_pins_lock_one_candidate_until_the_room_proctor_clears_it(lserver: LiveServer) -> None:
    room, cid = lserver.room_id(), lserver.candidate_id(1)
    proctor = Proctor(lserver, *staff_creds(lserver, "proctor"))
    try:
        assert proctor.call("join", {"room": room})["ok"]
        for _ in range(ATTEMPTS):
            r = _login(lserver, 1, pin=_wrong_pin(lserver, 1), address="10.4.4.4")
            assert r.status_code == 401 and r.json()["error"]["code"] == "bad_credentials"
        seen, _ = proctor.wait_for("feed", lambda d: any(i["kind"] == "login_locked" for i in d["items"]))
        item = next(i for i in seen["items"] if i["kind"] == "login_locked")
        assert item["candidate_id"] == cid and item["details"] == {"ip": "10.4.4.4"}, item
        locked = _login(lserver, 1)
        assert locked.status_code == 429 and locked.json()["error"]["code"] == "too_many_attempts"
        assert _login(lserver, 2).status_code == 200, "the neighbour at the same address still logs in"
        assert _login(lserver, 1, address="10.7.7.7").status_code == 429, "the lockout is the candidate's, any PC"
        assert proctor.call("clear_lockout", {"room": room, "candidate": cid})["error"]["code"] == "reason_required"
        assert proctor.call("clear_lockout", {"room": room, "candidate": 10**6, "reason": "x"})["error"]["code"] \
            == "unknown_candidate"
        ack = proctor.call("clear_lockout", {"room": room, "candidate": cid, "reason": "checked the ID card"})
        assert ack["ok"] is True and ack["action"] == "clear_lockout" and ack["failures"] == ATTEMPTS, ack
        proctor.wait_for("feed", lambda d: any(i["kind"] == "proctor.clear_lockout" for i in d["items"]))
    finally:
        proctor.close()
    assert _login(lserver, 1).status_code == 200
    with db.session_scope(lserver.db_url) as s:
        lockout = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "login_locked")))
        assert [(e.candidate_id, e.room_id, e.details) for e in lockout] == [(cid, room, {"ip": "10.4.4.4"})]
        rows = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "proctor.clear_lockout")))
        assert len(rows) == 1
        assert rows[0].candidate_id == cid and rows[0].room_id == room
        assert rows[0].actor == "staff:" + staff_creds(lserver, "proctor")[0]
        assert rows[0].reason == "checked the ID card" and rows[0].details.get("failures") == ATTEMPTS


def test_only_the_rooms_proctor_or_the_committee_may_clear(lserver: LiveServer) -> None:
    with db.session_scope(lserver.db_url) as s:
        a = s.scalar(select(Room).where(Room.code == "DEMO-R1"))
        s.add(Room(exam_id=a.exam_id, code="DEMO-R2", name="Ruang 2", token="BBBBBB", is_open=True, capacity=10))
        s.flush()
        create_staff(s, "pengawas2", "room-b-password", "proctor")
        assign(s, "pengawas2", "DEMO-R2")
    room, cid = lserver.room_id(), lserver.candidate_id(3)
    for _ in range(ATTEMPTS):
        _login(lserver, 3, pin=_wrong_pin(lserver, 3))
    other = Proctor(lserver, "pengawas2", "room-b-password")
    try:
        ack = other.call("clear_lockout", {"room": room, "candidate": cid, "reason": "not my room"})
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden_room", ack
        ack = other.call("clear_lockout", {"room": lserver.room_id("DEMO-R2"), "candidate": cid, "reason": "via B"})
        assert ack["error"]["code"] == "unknown_candidate", ack
    finally:
        other.close()
    assert _login(lserver, 3).status_code == 429, "still locked"
    committee = Proctor(lserver, *staff_creds(lserver, "committee"))
    try:
        assert committee.call("clear_lockout", {"room": room, "candidate": cid, "reason": "committee"})["ok"]
    finally:
        committee.close()
    assert _login(lserver, 3).status_code == 200


def test_the_address_limit_is_per_real_client_and_generous(lserver: LiveServer) -> None:
    limit = ATTEMPTS * lockouts.ADDRESS_FACTOR
    for n in range(limit):
        r = _login(lserver, 4, token="ZZZZZZ", address="10.6.6.6")
        assert r.status_code == 401, (n, r.text)
    blocked = _login(lserver, 4, address="10.6.6.6")
    assert blocked.status_code == 429 and blocked.json()["error"]["code"] == "too_many_attempts"
    assert _login(lserver, 4, address="10.6.6.7").status_code == 200, "the next PC (not the proxy) is unaffected"
    lserver.advance_clock(int(lserver.env.get("EXAM_LOGIN_WINDOW_S", "300")) + 1)
    assert _login(lserver, 5, address="10.6.6.6").status_code == 200, "the window passes"


# --- the limiter itself: memory and Redis behave the same ------------------------------------------------------


@pytest.mark.parametrize("backend", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
def test_limiter_window_clear_and_count(backend: str) -> None:
    if backend == "redis":
        import redis

        client = redis.Redis.from_url(need_redis())
        limiter: FailureLimiter | RedisFailureLimiter = RedisFailureLimiter(client, f"t-{uuid.uuid4().hex}", 2, 60)
    else:
        limiter = FailureLimiter(2, 60)
    start = clock.now()
    try:
        clock.freeze(start)
        limiter.fail("a")
        assert not limiter.blocked("a") and limiter.count("a") == 1
        limiter.fail("a", "b")
        assert limiter.blocked("a") and limiter.blocked("b", "a") and not limiter.blocked("b")
        clock.freeze(start + timedelta(seconds=61))
        assert not limiter.blocked("a") and limiter.count("a") == 0, "failures leave the window"
        limiter.fail("a")
        limiter.fail("a")
        limiter.clear("a")
        assert not limiter.blocked("a")
    finally:
        clock.unfreeze()


def test_guard_keeps_the_staff_call_shape() -> None:
    guard = SignInGuard(2, 60, address_factor=3)
    for _ in range(2):
        guard.failed("ana", "1.2.3.4")
    assert guard.blocked("ana", "1.2.3.4") and not guard.blocked("budi", "1.2.3.4")
    guard.succeeded("ana")
    assert not guard.blocked("ana", "1.2.3.4")
    for _ in range(6):
        guard.address_failed("1.2.3.4")
    assert guard.address_blocked("1.2.3.4") and guard.blocked("budi", "1.2.3.4")


@pytest.mark.redis
def test_two_processes_share_the_count_through_redis(tmp_path: Path) -> None:
    url = need_redis()
    env = {"EXAM_LOGIN_ATTEMPTS": str(ATTEMPTS), "EXAM_TRUSTED_PROXIES": "1", "EXAM_REDIS_URL": url,
           "EXAM_REDIS_CHANNEL": f"lockout-test-{uuid.uuid4().hex[:8]}"}
    one = LiveServer(tmp_path / "data", None, **env)
    two = LiveServer(tmp_path / "data", None, seed=False, **env)
    try:
        one.start()
        two.start()
        wrong = _wrong_pin(one, 6)
        assert _login(one, 6, pin=wrong).status_code == 401
        assert _login(one, 6, pin=wrong, url=two.url).status_code == 401
        assert _login(one, 6, pin=wrong).status_code == 401
        assert _login(one, 6, url=two.url).status_code == 429, "process two saw process one's failures"
        assert _login(one, 6).status_code == 429
        proctor = Proctor(two, *staff_creds(one, "proctor"))
        try:
            ack = proctor.call("clear_lockout", {"room": one.room_id(), "candidate": one.candidate_id(6),
                                                 "reason": "ID seen"})
            assert ack["ok"] and ack["failures"] == ATTEMPTS, ack
        finally:
            proctor.close()
        assert _login(one, 6).status_code == 200, "cleared on process two, free on process one"
        # staff sign-in uses the same shared guard (per account)
        user, password = staff_creds(one, "committee")
        codes = [requests.post(url + "/api/v1/staff/session", json={"username": user, "password": "wrong password"},
                               timeout=30).status_code for url in (one.url, two.url, one.url, two.url)]
        assert codes == [401, 401, 401, 429], codes
    finally:
        two.stop()
        one.stop()
