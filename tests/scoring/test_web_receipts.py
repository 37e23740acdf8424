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
