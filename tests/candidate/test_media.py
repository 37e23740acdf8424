"""Bank images reach only the candidate whose started paper shows them."""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified
from werkzeug.test import TestResponse as Response

from candidate import sessions
from candidate.papers import paper_labels
from candidate.web.candidate import PAPER_IMAGES
from exam_engine.app import create_app
from exam_engine.demo import seed_demo
from ground import db
from ground.config import Config
from ground.crypto import load_master_key
from ground.models import Exam, Item, ItemVersion, Paper
from ground.runtime import runtime
from question_bank.formats.json_format import read_json
from question_bank.store import import_items, version_contents


def _png() -> bytes:
    raw = b"\x00\xff\x00\x00"  # one red pixel
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
    ihdr = (1).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def test_media_is_served_to_its_candidate_only_after_the_start(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path / "data")
    creds = seed_demo(config, candidates=2)
    url = config.sqlalchemy_url
    png = _png()
    doc = {"format": "exam-engine-bank", "version": 1, "items": [{
        "uid": "IMG-1", "subtest": "TIU", "text": "Gambar berikut ...",
        "media": [{"src": "data:image/png;base64," + base64.b64encode(png).decode(), "alt": "grafik"}],
        "options": [{"text": "A", "points": 5}, {"text": "B", "points": 0}],
    }]}
    parsed = read_json(json.dumps(doc).encode(), "img.json")
    assert not parsed.problems, parsed.problems
    with db.session_scope(url) as s:
        import_items(s, parsed.items, images=parsed.images)
        version = s.scalar(select(ItemVersion).join(Item).where(Item.uid == "IMG-1"))
        sha = version_contents(s, [version.id])[version.id].media[0]["sha256"]  # media lists are sealed at rest
        first = s.scalars(select(Paper).order_by(Paper.id)).first()
        first.layout["subtests"][0]["questions"][0]["v"] = version.id  # this paper shows the image
        flag_modified(first, "layout")
        paper_id = first.id

    app = create_app(config)
    client = app.test_client()
    def token(i: int) -> str:
        c = creds["candidates"][i]
        r = client.post("/api/v1/candidate/login", json={**c, "room_token": creds["room_token"]})
        return r.get_json()["access_token"]

    mine, other = token(0), token(1)

    def get(label: str, tok: str | None) -> Response:
        return client.get(f"/api/v1/candidate/media/{label}", headers={"Authorization": f"Bearer {tok}"} if tok else {})

    with db.session_scope(url) as s:
        exam = s.scalar(select(Exam))
        papers = list(s.scalars(select(Paper).order_by(Paper.id)))
        label, others = (paper_labels(exam, p, load_master_key(config.data_dir)).image(sha) for p in papers)
    assert label != others and sha not in label, "an image is named per paper, never by its hash"
    early = get(label, mine)
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "not_started"
    assert get(label, other).status_code == 409
    with db.session_scope(url) as s:
        for paper in s.scalars(select(Paper).order_by(Paper.id)):
            sessions.start(s, paper, s.get(Exam, paper.exam_id))
    ok = get(label, mine)
    assert ok.status_code == 200 and ok.data == png and ok.mimetype == "image/png"
    assert get(label, mine).data == png, "again, from the remembered set"
    assert get(sha, mine).status_code == 404, "the hash is not a name the server answers to"
    assert get("A" * 12, mine).status_code == 404
    assert get(label, other).status_code == 404, "started, not on it"
    assert get(others, other).status_code == 404, "the other paper does not show it under any name"
    memo = runtime(app).services[PAPER_IMAGES]  # each paper's images opened from the sealed bank once
    assert len(memo) == 2 and memo[paper_id] == {label: sha} and all(sha not in v.values() for k, v in memo.items()
                                                                     if k != paper_id)
    assert get(label, None).get_json()["error"]["code"] == "bad_token"
    in_url = client.get(f"/api/v1/candidate/media/{label}?token={mine}")
    assert in_url.get_json()["error"]["code"] == "bad_token", "a token in the URL (logs, Referer) is not accepted"
