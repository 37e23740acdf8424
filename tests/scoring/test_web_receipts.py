"""The public key endpoint and the receipt check (API and page) through the real Flask app."""

from __future__ import annotations

from pathlib import Path

import pytest

from exam_engine.app import create_app
from ground.config import Config
from ground.crypto import load_public_key, load_signing_key
from scoring.receipts import make_receipt
from scoring.signing import key_id


@pytest.fixture
def app(tmp_path: Path, sqlite_url: str):
    return create_app(Config(data_dir=tmp_path / "inst", database_url=sqlite_url), async_mode="threading")


def test_public_key_is_the_installation_key(app, tmp_path: Path) -> None:
    res = app.test_client().get("/api/v1/public-key")
    assert res.status_code == 200 and res.mimetype == "application/x-pem-file"
    key = load_signing_key(tmp_path / "inst")
    assert key_id(load_public_key(res.data)) == key_id(key) == res.headers["X-Key-Id"]


def test_receipt_api_valid_tampered_and_bad_request(app, tmp_path: Path) -> None:
    receipt = make_receipt(load_signing_key(tmp_path / "inst"), {"participant_no": "77", "total": 351})
    client = app.test_client()
    res = client.post("/api/v1/receipts/verify", json={"receipt": receipt})
    assert res.status_code == 200 and res.json["valid"] is True and res.json["claims"]["total"] == 351
    other = make_receipt(load_signing_key(tmp_path / "elsewhere"), {"participant_no": "77", "total": 550})
    res = client.post("/api/v1/receipts/verify", json={"receipt": other})
    assert res.status_code == 200 and res.json["valid"] is False and "signature does not match" in res.json["reason"]
    res = client.post("/api/v1/receipts/verify", json={"receipt": "nonsense"})
    assert res.json["valid"] is False and "two base64url parts" in res.json["reason"]
    res = client.post("/api/v1/receipts/verify", json={})
    assert res.status_code == 400 and res.json["error"]["code"] == "bad_request"
    res = client.post("/api/v1/receipts/verify", data="x", content_type="text/plain")
    assert res.status_code == 400 and "error" in res.json


def test_receipt_page(app, tmp_path: Path) -> None:
    receipt = make_receipt(load_signing_key(tmp_path / "inst"), {"participant_no": "77", "total": 351})
    client = app.test_client()
    page = client.get("/receipt?lang=en")
    assert page.status_code == 200 and b"Check a submission receipt" in page.data
    res = client.post("/receipt?lang=en", data={"receipt": receipt})
    assert b'data-valid="true"' in res.data and b"351" in res.data
    res = client.post("/receipt?lang=en", data={"receipt": receipt[:-3] + "AAA"})
    assert b'data-valid="false"' in res.data
    res = app.test_client().get("/receipt")  # a fresh browser: the default locale is Bahasa Indonesia
    assert b"Periksa tanda terima ujian" in res.data


def test_receipt_page_names_fields_in_the_page_language(app, tmp_path: Path) -> None:
    claims = {"exam": "SKD-1", "participant_no": "77", "total": 351, "passed": True, "reason": "time_up",
              "subtests": {"TWK": 100, "TIU": 110, "TKP": 141}}
    receipt = make_receipt(load_signing_key(tmp_path / "inst"), claims)
    client = app.test_client()
    page = client.post("/receipt", data={"receipt": receipt}).get_data(as_text=True)  # Bahasa Indonesia
    for shown in ("Nomor peserta", "Nilai total", "Lulus nilai ambang batas", "ya", "Waktu habis"):
        assert f">{shown}" in page, shown
    assert "TWK 100" in page
    for raw in ("participant_no", "answers_sha256", ">total<", ">passed<", "time_up"):
        assert raw not in page, raw
    english = client.post("/receipt?lang=en", data={"receipt": receipt}).get_data(as_text=True)
    assert ">Participant number<" in english and ">Time ran out<" in english
    other = make_receipt(load_signing_key(tmp_path / "elsewhere"), claims)
    bad = client.post("/receipt?lang=id", data={"receipt": other}).get_data(as_text=True)
    assert "Tanda tangan tidak cocok" in bad and "signature" not in bad
    bad = client.post("/receipt?lang=id", data={"receipt": "nonsense"}).get_data(as_text=True)
    assert "Ini bukan tanda terima" in bad and "base64url" not in bad


def test_receipt_qr_only_for_this_installations_receipts(app, tmp_path: Path) -> None:
    receipt = make_receipt(load_signing_key(tmp_path / "inst"), {"participant_no": "77", "total": 351})
    client = app.test_client()
    res = client.post("/api/v1/receipts/qr", json={"receipt": receipt})
    assert res.status_code == 200 and res.mimetype == "image/svg+xml"
    assert res.data.startswith(b"<svg") and b"<path" in res.data and b"<script" not in res.data
    other = make_receipt(load_signing_key(tmp_path / "elsewhere"), {"participant_no": "77", "total": 550})
    res = client.post("/api/v1/receipts/qr", json={"receipt": other})
    assert res.status_code == 400 and res.json["error"]["code"] == "bad_receipt"
    assert client.post("/api/v1/receipts/qr", json={}).status_code == 400
