"""The public verify page: anyone uploads an announcement and its .sig; VALID for the bytes signed, NOT VALID with
the reason for a changed file; nothing needs a sign-in."""

from __future__ import annotations

import io
import zipfile

import pytest
from flask import Flask

from tests.committee.console.test_results_pages import (
    exam,  # noqa: F401 - the seeded exam
    sign_in_form,
)

pytestmark = pytest.mark.usefixtures("english")


def _upload(client, doc: bytes, sig: bytes, name: str = "pengumuman.csv"):
    return client.post("/verify", data={"document": (io.BytesIO(doc), name), "signature": (io.BytesIO(sig), "x.sig")},
                       content_type="multipart/form-data")


def test_anyone_checks_an_announcement(app: Flask, exam: str) -> None:  # noqa: F811
    client, _landed, csrf = sign_in_form(app, "ketua")
    r = client.post(f"/committee/results/{exam}/announcement", data={"format": "csv", "csrf_token": csrf})
    bundle = zipfile.ZipFile(io.BytesIO(r.data))
    doc, sig = bundle.read(f"pengumuman-{exam}-skd.csv"), bundle.read(f"pengumuman-{exam}-skd.csv.sig")
    anyone = app.test_client()
    assert 'id="verify-form"' in anyone.get("/verify").get_data(as_text=True)
    ok = _upload(anyone, doc, sig).get_data(as_text=True)
    assert "VALID: signed by this installation" in ok and " WIB</dd>" in ok
    bad = _upload(anyone, doc.replace(b"P/L", b"TL ", 1), sig)
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "NOT VALID" in text and "the file changed" in text and "/tmp" not in text
    assert "NOT VALID" in _upload(anyone, doc, b"{}").get_data(as_text=True)
    empty = anyone.post("/verify", data={})
    assert empty.status_code == 400 and "Choose the document and its .sig file." in empty.get_data(as_text=True)
    # why not, in the reader's language: the same refusal in Indonesian (?lang=id)
    indonesian = anyone.post("/verify?lang=id", data={"document": (io.BytesIO(doc + b" "), "pengumuman.csv"),
                                                      "signature": (io.BytesIO(sig), "x.sig")},
                             content_type="multipart/form-data").get_data(as_text=True)
    assert "berkas telah berubah" in indonesian and "the file changed" not in indonesian
