"""Hostile names and reasons in every proctor document: login cards, PIN list, room summary (berita acara)."""

from __future__ import annotations

import csv
import io
import os
import stat
from pathlib import Path

from sqlalchemy import select

from exam_engine.app import create_app
from exam_engine.demo import seed_demo
from ground import db
from ground.config import Config
from ground.models import Candidate, Paper, Room
from ground.staff.accounts import authenticate
from proctor import actions
from proctor.cards import cards_pdf
from proctor.roster import Issued, read_pins, write_pins
from tests.documents import EMOJI_NAME, HOSTILE_NAMES, pdf_words, shows


def _people() -> list[Issued]:
    names = (*HOSTILE_NAMES, EMOJI_NAME)
    return [Issued(f"2026{i:06d}", n, "2000-01-31", "R<1>", f"{i:06d}") for i, n in enumerate(names)]


def test_login_cards_show_hostile_names_literally() -> None:
    text = pdf_words(cards_pdf("Ujian <b>& co", "R<1>", "Ruang <i>", None, _people()))
    for name in HOSTILE_NAMES:
        assert shows(text, f": {name}"), name
    assert shows(text, "Ujian <b>& co") and shows(text, "Ruang <i> (R<1>)")
    assert "Budi" in text and "Santoso" in text, "a name with an emoji still prints (the emoji as a box)"


def test_pin_list_neutralises_formulas_reads_back_whole_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "pins.csv"
    people = _people()
    write_pins(path, people)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    cells = {row[1] for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8")))}
    assert "'=HYPERLINK(\"http://x\",\"y\")" in cells and "'@SUM(A1)" in cells and "'+62 811 1234" in cells
    assert "Budi <b" in cells, "only formula-like cells change"
    assert read_pins(path) == people, "the cards print the names as given"


def test_room_summary_pdf_and_csv_with_hostile_name_and_reason(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path / "data")
    creds = seed_demo(config, candidates=2)
    url = config.sqlalchemy_url
    reason = '<font size=30>Budi <b & =HYPERLINK("http://x")'
    with db.session_scope(url) as s:
        room = s.scalar(select(Room).where(Room.code == creds["room"]))
        cands = list(s.scalars(select(Candidate).where(Candidate.room_id == room.id).order_by(Candidate.id)))
        cands[0].name, cands[1].name = "Budi <b", '=HYPERLINK("http://x","y")'
        room_id, cand_id = room.id, cands[0].id
        assert s.scalar(select(Paper.id).where(Paper.candidate_id == cand_id)) is not None
    proctor = next(p for p in creds["staff"] if p["role"] == "proctor")
    with db.session_scope(url) as s:
        who = authenticate(s, proctor["username"], proctor["password"])
    with db.session_scope(url) as s:
        actions.lock(s, who, room_id, cand_id, reason)

    app = create_app(Config(data_dir=config.data_dir, locale="en"), async_mode="threading")
    c = app.test_client()
    assert c.post("/api/v1/staff/session", json={"username": proctor["username"],
                                                  "password": proctor["password"]}).status_code == 200
    pdf = c.get(f"/proctor/rooms/{room_id}/summary.pdf")
    assert pdf.status_code == 200, pdf.text
    text = pdf_words(pdf.data)
    assert shows(text, "Budi <b") and shows(text, '=HYPERLINK("http://x","y")') and shows(text, reason)
    sheet = c.get(f"/proctor/rooms/{room_id}/summary.csv?lang=en")
    assert sheet.status_code == 200
    cells = {cell for row in csv.reader(io.StringIO(sheet.text)) for cell in row}
    assert "'=HYPERLINK(\"http://x\",\"y\")" in cells and "Budi <b" in cells and reason in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
