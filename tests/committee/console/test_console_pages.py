"""The console's pages through the Flask app: bank import with preview, exam, rooms and staff, candidates, cards,
opening; every change audited with its actor; every POST refused without the CSRF token."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from ground import clock, db
from ground.models import AuditEvent, Candidate, Exam, Item, ItemVersion, Paper, Room
from ground.models.analysis import ItemStatistic
from ground.models.staff import RoomAssignment, StaffUser
from tests.committee.console.conftest import csrf_of, sign_in_form
from tests.committee.console.files import BROKEN_GIFT, roster_csv, skd_bank
from tests.documents import pdf_words

pytestmark = pytest.mark.usefixtures("english")


def count(db_url: str, model: type) -> int:
    with db.session_scope(db_url) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def actors(db_url: str, action: str) -> list[str]:
    with db.session_scope(db_url) as s:
        return list(s.scalars(select(AuditEvent.actor).where(AuditEvent.action == action)))


def upload(client: FlaskClient, url: str, path: Path, csrf: str, **form: str) -> str:
    with path.open("rb") as fh:
        r = client.post(url, data={"csrf_token": csrf, "file": (fh, path.name), **form},
                        content_type="multipart/form-data")
    return r.get_data(as_text=True), r.status_code  # type: ignore[return-value]


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found, page[:2000]
    return found.group(1)


def test_prepare_an_exam_day_in_the_console(app: Flask, db_url: str, tmp_path: Path) -> None:
    client, _landed, csrf = sign_in_form(app, "ketua")

    # a bank with a problem: seen at its place, nothing stored, no way to commit it
    gift = tmp_path / "soal.gift"
    gift.write_text(BROKEN_GIFT, encoding="utf-8")
    page, status = upload(client, "/committee/bank/preview", gift, csrf)
    assert status == 200 and 'id="import-refused"' in page and 'id="import-commit"' not in page
    assert "soal.gift" in page and "TWK-G-002" in page and 'id="count-refused">1<' in page
    assert "Ibu kota negara Indonesia" in page  # the valid item, as the candidate will see it
    assert count(db_url, Item) == 0
    client.post("/committee/bank/cancel", data={"csrf_token": csrf})

    # a clean bank: preview, then commit
    page, status = upload(client, "/committee/bank/preview", skd_bank(tmp_path / "bank.csv"), csrf)
    assert status == 200 and 'id="count-new">110<' in page and 'id="import-commit"' in page
    assert count(db_url, Item) == 0  # a preview stores nothing
    r = client.post("/committee/bank/commit", data={"csrf_token": csrf, "upload_id": hidden(page, "upload_id")})
    assert r.status_code == 302 and count(db_url, Item) == 110
    assert "bank.csv imported: 110 new" in client.get("/committee/bank/").get_data(as_text=True)
    assert actors(db_url, "bank_imported") == ["staff:ketua"]
    listing = client.get("/committee/bank/?q=nomor+7&subtest=TIU").get_data(as_text=True)
    assert "TIU-006" in listing and "TWK-006" not in listing

    # the exam from the SKD preset
    r = client.post("/committee/exams/", data={"csrf_token": csrf, "code": "SKD-2026", "preset": "skd"})
    assert r.status_code == 302 and r.headers["Location"] == "/committee/exams/SKD-2026"
    assert "Created exam SKD-2026." in client.get("/committee/exams/SKD-2026").get_data(as_text=True)
    assert actors(db_url, "exam_created") == ["staff:ketua"]

    # two sessions at sites in two zones: each start typed in its zone, stored in UTC, shown in its zone, labelled
    r = client.post("/committee/rooms/", data={"csrf_token": csrf, "exam": "SKD-2026", "code": "R1-S1",
                                               "name": "Ruang 1 Sesi 1", "capacity": "40",
                                               "start": "2026-12-01T08:00", "zone": "WITA"})
    assert r.status_code == 302
    rooms_page = client.get("/committee/rooms/").get_data(as_text=True)
    assert "2026-12-01 08:00 WITA" in rooms_page
    client.post("/committee/rooms/", data={"csrf_token": csrf, "exam": "SKD-2026", "code": "R2-S2", "capacity": "40",
                                           "start": "2026-12-01T13:00", "zone": "WIB"})
    with db.session_scope(db_url) as s:
        starts = dict(s.execute(select(Room.code, Room.scheduled_start)).all())
    assert {k: v.strftime("%H:%M") for k, v in starts.items()} == {"R1-S1": "00:00", "R2-S2": "06:00"}  # UTC
    sessions = client.get("/committee/exams/SKD-2026").get_data(as_text=True)
    assert "2026-12-01 08:00 WITA" in sessions and "2026-12-01 13:00 WIB" in sessions
    assert actors(db_url, "room.created") == ["staff:ketua", "staff:ketua"]

    # a proctor account: the password shown once works, the room assigned and taken away, disabled, reset
    r = client.post("/committee/rooms/staff", data={"csrf_token": csrf, "username": "pengawas2", "name": "Budi",
                                                    "role": "proctor", "room": "R1-S1"})
    sheet = r.get_data(as_text=True)
    password = re.search(r'id="sheet-password">([^<]+)<', sheet).group(1)  # type: ignore[union-attr]
    proctor = app.test_client()
    assert proctor.post("/api/v1/staff/session", json={"username": "pengawas2", "password": password}).status_code \
        == 200
    assert actors(db_url, "staff.created")[-1] == "staff:ketua" and actors(db_url, "staff.assigned") == ["staff:ketua"]
    client.post("/committee/rooms/staff/pengawas2/unassign", data={"csrf_token": csrf, "room": "R1-S1"})
    assert count(db_url, RoomAssignment) == 0 and actors(db_url, "staff.unassigned") == ["staff:ketua"]
    client.post("/committee/rooms/staff/pengawas2/assign", data={"csrf_token": csrf, "room": "R1-S1"})
    assert count(db_url, RoomAssignment) == 1
    client.post("/committee/rooms/staff/pengawas2/active", data={"csrf_token": csrf, "active": "0"})
    assert proctor.get("/api/v1/staff/session").status_code == 401  # disabling ended the sign-in
    assert actors(db_url, "staff.disabled") == ["staff:ketua"]
    client.post("/committee/rooms/staff/pengawas2/active", data={"csrf_token": csrf, "active": "1"})
    sheet = client.post("/committee/rooms/staff/pengawas2/password", data={"csrf_token": csrf}).get_data(as_text=True)
    new_password = re.search(r'id="sheet-password">([^<]+)<', sheet).group(1)  # type: ignore[union-attr]
    assert new_password != password and actors(db_url, "staff.password_changed") == ["staff:ketua"]

    # candidates: a bad line refuses the whole file, by line; a good file previewed, then imported with papers
    rows = [(f"2026{i:06d}", f"Peserta {i}", "R1", "1") for i in range(3)]
    page, status = upload(client, "/committee/candidates/preview", roster_csv(tmp_path / "bad.csv", rows, True), csrf,
                          exam="SKD-2026")
    assert status == 422 and "line 5" in page and "birth date" in page and count(db_url, Candidate) == 0
    page, status = upload(client, "/committee/candidates/preview", roster_csv(tmp_path / "ok.csv", rows), csrf,
                          exam="SKD-2026", issue_papers="1")
    assert status == 200 and "Peserta 2" in page and "R1-S1" in page and count(db_url, Candidate) == 0
    r = client.post("/committee/candidates/commit", data={"csrf_token": csrf, "upload_id": hidden(page, "upload_id")})
    assert r.status_code == 302 and count(db_url, Candidate) == 3 and count(db_url, Paper) == 3
    assert actors(db_url, "candidates.imported") == ["staff:ketua"]
    assert actors(db_url, "papers_issued") == ["staff:ketua"]
    listing = client.get("/committee/candidates/").get_data(as_text=True)
    card_url = re.search(r'href="(/committee/candidates/cards/[^"]+)"', listing).group(1)  # type: ignore[union-attr]
    pdf = client.get(card_url)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    attendance = client.get(re.search(r'class="attendance-link" href="([^"]+)"', listing).group(1))  # type: ignore[union-attr]
    assert attendance.status_code == 200 and attendance.data.startswith(b"%PDF")
    words = pdf_words(attendance.data)
    assert "Peserta 2" in words and "Signature" in words and "2026-12-01 08:00 WITA" in words

    people = client.get("/committee/candidates/?exam=SKD-2026&room=R1-S1").get_data(as_text=True)
    assert 'id="people"' in people and people.count("<td>Analis Kebijakan</td>") == 3

    # a candidate moved to the other session, with the reason on record; no reason, no move
    move = {"csrf_token": csrf, "exam": "SKD-2026", "participant_no": "2026000001", "room": "R2-S2"}
    r = client.post("/committee/candidates/move", data={**move, "reason": " "})
    assert r.status_code == 400 and 'id="move-error"' in r.get_data(as_text=True)
    r = client.post("/committee/candidates/move", data={**move, "reason": "Bentrok jadwal kerja"})
    assert r.status_code == 302
    with db.session_scope(db_url) as s:
        moved = s.scalar(select(Room.code).join(Candidate, Candidate.room_id == Room.id)
                         .where(Candidate.participant_no == "2026000001"))
        row = s.scalars(select(AuditEvent).where(AuditEvent.action == "candidate.moved")).one()
        assert moved == "R2-S2" and row.actor == "staff:ketua" and row.reason == "Bentrok jadwal kerja"
    r = client.post("/committee/candidates/move", data={**move, "reason": "lagi"})
    assert r.status_code == 409 and "already sits in room R2-S2" in r.get_data(as_text=True)

    # opening needs the code typed again; the release is audited with its actor
    r = client.post("/committee/exams/SKD-2026/open", data={"csrf_token": csrf, "confirm": "skd"})
    assert r.status_code == 400 and "Type the exam code SKD-2026 to confirm" in r.get_data(as_text=True)
    r = client.post("/committee/exams/SKD-2026/open", data={"csrf_token": csrf, "confirm": "SKD-2026"})
    assert r.status_code == 302
    with db.session_scope(db_url) as s:
        assert s.scalar(select(Exam.key_released_at)) is not None
    assert actors(db_url, "exam_key_released") == ["staff:ketua"]
    assert 'id="opened"' in client.get("/committee/exams/SKD-2026").get_data(as_text=True)
    home = client.get("/committee/").get_data(as_text=True)
    assert "Ruang 1 Sesi 1 (R1-S1)" in home and "2026-12-01 08:00 WITA" in home and 'id="room-states"' in home


POSTS = [
    "/committee/bank/preview", "/committee/bank/commit", "/committee/bank/cancel", "/committee/bank/retire",
    "/committee/bank/item/TWK-000", "/committee/exams/",
    "/committee/exams/X/issue", "/committee/exams/X/open", "/committee/rooms/", "/committee/rooms/staff",
    "/committee/rooms/staff/pengawas/assign", "/committee/rooms/staff/pengawas/unassign",
    "/committee/rooms/staff/pengawas/active", "/committee/rooms/staff/pengawas/password",
    "/committee/candidates/preview", "/committee/candidates/commit", "/committee/candidates/cancel",
    "/committee/candidates/move",
]


def test_every_console_post_needs_the_csrf_token(app: Flask, db_url: str) -> None:
    client, _landed, _csrf = sign_in_form(app, "ketua")
    before = count(db_url, AuditEvent)
    for url in POSTS:
        r = client.post(url, data={"room": "R1", "active": "0"})
        assert r.status_code == 403 and r.json["error"]["code"] == "csrf_failed", url  # type: ignore[index]
    assert count(db_url, AuditEvent) == before
    proctor, _landed, csrf = sign_in_form(app, "pengawas")
    for url in POSTS:
        assert proctor.post(url, data={"csrf_token": csrf}).status_code == 403, url
    with db.session_scope(db_url) as s:
        assert s.scalar(select(StaffUser.active).where(StaffUser.username == "pengawas"))
        assert s.scalar(select(func.count()).select_from(Room)) == 0


def test_errors_speak_indonesian(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXAM_LOCALE", raising=False)
    client, _landed, csrf = sign_in_form(app, "ketua")
    r = client.post("/committee/exams/", data={"csrf_token": csrf, "code": "SKD-X", "preset": "skd"})
    page = r.get_data(as_text=True)
    assert r.status_code == 409 and "Bank soal tidak cukup untuk ujian ini:" in page
    assert "TWK: perlu 30 soal, di bank ada 0" in page  # the library's stock message, in the page's language
    r = client.get("/committee/blueprints/?preset=skd&count_TWK=0")
    assert r.status_code == 400
    assert "Kisi-kisi tidak sah: sections[0].count: paling sedikit 1, tertulis 0" in r.get_data(as_text=True)
    r = client.post("/committee/rooms/staff", data={"csrf_token": csrf, "username": "X!", "role": "proctor"})
    assert r.status_code == 400 and "Nama pengguna" in r.get_data(as_text=True)
    assert csrf_of(client.get("/committee/rooms/").get_data(as_text=True)) == csrf


def test_a_blueprint_adjusted_checked_against_the_bank_and_made_an_exam(app: Flask, db_url: str,
                                                                      tmp_path: Path) -> None:
    client, _landed, csrf = sign_in_form(app, "ketua")
    r = client.get("/committee/blueprints/?preset=skd")
    assert r.status_code == 200 and 'id="bp-problems"' in r.get_data(as_text=True)  # an empty bank fills nothing
    page, _status = upload(client, "/committee/bank/preview", skd_bank(tmp_path / "bank.csv"), csrf)
    client.post("/committee/bank/commit", data={"csrf_token": csrf, "upload_id": hidden(page, "upload_id")})
    page = client.get("/committee/blueprints/?preset=skd&count_TWK=31").get_data(as_text=True)
    assert 'id="bp-problems"' in page and "TWK" in page  # 31 asked, 30 in the bank
    page = client.get("/committee/blueprints/?preset=skd&count_TWK=20&minutes=90").get_data(as_text=True)
    assert 'id="bp-ok"' in page and 'name="count_TWK" value="20"' in page
    r = client.post("/committee/exams/", data={"csrf_token": csrf, "code": "SKD-B", "preset": "skd", "count_TWK": "20",
                                               "count_TIU": "35", "count_TKP": "45", "minutes": "90"})
    assert r.status_code == 302
    with db.session_scope(db_url) as s:
        exam = s.scalar(select(Exam).where(Exam.code == "SKD-B"))
        assert [x["count"] for x in exam.blueprint["sections"]] == [20, 35, 45] and exam.duration_s == 5400
    # draws per category/difficulty within a subtest: each cell shows what the bank holds and what it lacks
    cell = "/committee/blueprints/?preset=skd&draws_TWK=1&draw_TWK_0_count=5&draw_TWK_0_category=umum"
    page = client.get(cell + "&draw_TWK_0_difficulty=sulit").get_data(as_text=True)
    assert 'id="bp-problems"' in page
    assert re.search(r'id="cell-TWK-0">0 · <b class="error">missing 5</b>', page), page
    page = client.get(cell + "&draw_TWK_0_difficulty=sedang").get_data(as_text=True)
    assert 'id="bp-ok"' in page and 'id="cell-TWK-0">30</td>' in page
    assert 'name="draw_TWK_0_difficulty" value="sedang"' in page  # carried into the exam's creation
    r = client.post("/committee/exams/", data={"csrf_token": csrf, "code": "SKD-D", "preset": "skd", "draws_TWK": "1",
                                               "draw_TWK_0_count": "5", "draw_TWK_0_category": "umum",
                                               "draw_TWK_0_difficulty": "sedang", "draw_TWK_1_count": ""})
    assert r.status_code == 302
    with db.session_scope(db_url) as s:
        stored = s.scalar(select(Exam.blueprint).where(Exam.code == "SKD-D"))
        assert stored["sections"][0]["draws"] == [{"count": 5, "category": "umum", "difficulty": "sedang"}]
    bad = client.get("/committee/blueprints/?preset=skd&count_TWK=x")
    assert bad.status_code == 400 and 'id="bp-error"' in bad.get_data(as_text=True)


def test_retire_an_item_and_bring_it_back(app: Flask, db_url: str, tmp_path: Path) -> None:
    client, _landed, csrf = sign_in_form(app, "ketua")
    page, _status = upload(client, "/committee/bank/preview", skd_bank(tmp_path / "bank.csv"), csrf)
    client.post("/committee/bank/commit", data={"csrf_token": csrf, "upload_id": hidden(page, "upload_id")})
    assert 'id="bp-ok"' in client.get("/committee/blueprints/?preset=skd").get_data(as_text=True)
    r = client.post("/committee/bank/retire", data={"csrf_token": csrf, "uid": "TWK-003", "reason": ""})
    assert r.status_code == 400
    r = client.post("/committee/bank/retire", data={"csrf_token": csrf, "uid": "TWK-003", "reason": "kunci salah"})
    assert r.status_code == 302
    listing = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "TWK-003 is retired" in listing and "<b>retired</b>" in listing
    assert client.post("/committee/exams/", data={"csrf_token": csrf, "code": "SKD-M", "preset": "skd"}) \
        .status_code == 409  # the retired item is missing from the SKD stock
    with db.session_scope(db_url) as s:  # what 'exam-engine analysis' stores after an exam: the measured p
        item = s.scalar(select(Item).where(Item.uid == "TIU-004"))
        version = s.scalar(select(ItemVersion.id).where(ItemVersion.item_id == item.id))
        exam = Exam(code="OLD", title="old", duration_s=60, blueprint={}, grading={}, created_at=clock.now())
        s.add(exam)
        s.flush()
        s.add(ItemStatistic(exam_id=exam.id, item_id=item.id, item_version_id=version, subtest="TIU",
                            computed_at=clock.now(), n=120, p=0.42))
    assert "measured p = 0.42" in client.get("/committee/bank/?q=TIU-004").get_data(as_text=True)
    short = client.get("/committee/blueprints/?preset=skd").get_data(as_text=True)
    assert 'id="bp-problems"' in short  # 29 TWK left for 30 places: a retired item is drawn no more
    with db.session_scope(db_url) as s:
        row = s.scalars(select(AuditEvent).where(AuditEvent.action == "bank.retired")).one()
        assert row.actor == "staff:ketua" and row.reason == "kunci salah"
    client.post("/committee/bank/retire", data={"csrf_token": csrf, "uid": "TWK-003", "reason": "diperbaiki",
                                                "restore": "1"})
    assert 'id="bp-ok"' in client.get("/committee/blueprints/?preset=skd").get_data(as_text=True)


def test_edit_an_item_as_a_new_version(app: Flask, db_url: str, tmp_path: Path) -> None:
    client, _landed, csrf = sign_in_form(app, "ketua")
    page, _status = upload(client, "/committee/bank/preview", skd_bank(tmp_path / "bank.csv"), csrf)
    client.post("/committee/bank/commit", data={"csrf_token": csrf, "upload_id": hidden(page, "upload_id")})
    form = client.get("/committee/bank/item/TIU-002").get_data(as_text=True)
    assert 'id="item-form"' in form and "Soal TIU nomor 3" in form
    fields = {"csrf_token": csrf, "text": "Soal TIU nomor 3, diperbaiki.", "category": "umum", "difficulty": "sulit"}
    fields |= {f"option_{i}": f"Pilihan {i}" for i in range(5)} | {f"points_{i}": "0" for i in range(5)}
    r = client.post("/committee/bank/item/TIU-002", data=fields)  # no option scores: refused, nothing stored
    assert r.status_code == 422 and 'id="item-problems"' in r.get_data(as_text=True)
    r = client.post("/committee/bank/item/TIU-002", data={**fields, "points_2": "5"})
    assert r.status_code == 302
    with db.session_scope(db_url) as s:
        item = s.scalar(select(Item).where(Item.uid == "TIU-002"))
        assert item.current_version == 2 and item.difficulty == "sulit"
        assert s.scalar(select(AuditEvent.actor).where(AuditEvent.action == "bank_item_edited")) == "staff:ketua"
    shown = client.get("/committee/bank/item/TIU-002").get_data(as_text=True)
    assert "Soal TIU nomor 3, diperbaiki." in shown
    assert client.get("/committee/bank/item/NOPE").status_code == 404


def test_the_item_preview_shows_pictures_and_plays_recordings(app: Flask, tmp_path: Path) -> None:
    import base64
    import io
    import json
    import wave

    from PIL import Image

    client, _landed, csrf = sign_in_form(app, "ketua")
    png, wav = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (40, 30), (0, 90, 200)).save(png, "PNG")
    with wave.open(wav, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000), w.writeframes(b"\0\0" * 800)

    def uri(mime: str, data: bytes) -> str:
        return f"data:{mime};base64," + base64.b64encode(data).decode()

    doc = {"format": "exam-engine-bank", "version": 1, "items": [{
        "uid": "MEDIA-1", "subtest": "TIU", "text": "Dengarkan dan lihat grafik berikut.",
        "media": [{"src": uri("image/png", png.getvalue()), "alt": "grafik batang"},
                  {"src": uri("audio/wav", wav.getvalue()), "alt": "rekaman"}],
        "options": [{"text": "A", "points": 5}, {"text": "B", "points": 0}]}]}
    path = tmp_path / "media.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    page, _status = upload(client, "/committee/bank/preview", path, csrf)
    assert 'alt="grafik batang"' in page and "<audio controls" in page  # seen before it is stored
    early = re.search(r'<img src="(/committee/bank/media/[0-9a-f]{64})"', page)
    assert early and client.get(early.group(1)).data == png.getvalue()  # from beside the previewed file
    assert app.test_client().get(early.group(1)).status_code == 302  # nobody else's (the sign-in page)
    other, _landed, _csrf = sign_in_form(app, "admin1")
    assert other.get(early.group(1)).status_code == 404  # another browser: not its preview
    client.post("/committee/bank/commit", data={"csrf_token": csrf, "upload_id": hidden(page, "upload_id")})
    listing = client.get("/committee/bank/?q=MEDIA-1").get_data(as_text=True)
    img = re.search(r'<img src="(/committee/bank/media/[0-9a-f]{64})" alt="grafik batang"', listing)
    audio = re.search(r'<audio controls preload="none" src="(/committee/bank/media/[0-9a-f]{64})"', listing)
    assert img and audio, listing[-3000:]
    got = client.get(img.group(1))
    assert got.data == png.getvalue() and got.mimetype == "image/png" and "no-store" in got.headers["Cache-Control"]
    assert client.get(audio.group(1)).mimetype == "audio/wav"
    assert client.get("/committee/bank/media/" + "0" * 64).status_code == 404
    assert client.get("/committee/bank/media/nope").status_code == 404
