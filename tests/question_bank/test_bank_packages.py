"""Encrypted papers: the key hierarchy, rotation without re-encryption, tamper detection, no points inside."""

import json

import pytest

from ground.crypto import TamperedError, new_key
from question_bank.assembly import PoolItem, assemble
from question_bank.blueprint import Blueprint, Section
from question_bank.items import VersionContent
from question_bank.packages import (
    PaperSealer,
    encode_document,
    new_exam_key,
    open_paper,
    open_paper_key,
    paper_document,
    rewrap_exam_key,
    seal_paper,
    unwrap_exam_key,
)


def fixture_paper():
    contents = {
        10: VersionContent(
            "Ibu kota RI?",
            [],
            "single",
            "TWK",
            [(100, "Jakarta", []), (101, "Bandung", []), (102, 'Surabaya "lama"', [])],
        ),
        11: VersionContent(
            "Lihat gambar",
            [{"src": "bank:ab", "alt": "peta", "note": "x"}],
            "single",
            "TIU",
            [(110, "A", [{"src": "bank:cd"}]), (111, "B", [])],
        ),
    }
    pool = [PoolItem(10, "TWK", None, None, (100, 101, 102)), PoolItem(11, "TIU", None, None, (110, 111))]
    bp = Blueprint("e", "e", 600, (Section("TWK", "Wawasan", 1), Section("TIU", "Intelegensia", 1)))
    return contents, assemble(bp, pool, 5)


def test_exam_key_wrapping_is_bound_to_exam_and_master():
    master = new_key()
    key, wrapped = new_exam_key(master, "SKD-2026")
    assert unwrap_exam_key(master, "SKD-2026", wrapped) == key and key not in wrapped
    with pytest.raises(TamperedError):
        unwrap_exam_key(master, "SKD-2027", wrapped)
    with pytest.raises(TamperedError):
        unwrap_exam_key(new_key(), "SKD-2026", wrapped)
    bad = bytearray(wrapped)
    bad[-1] ^= 1
    with pytest.raises(TamperedError):
        unwrap_exam_key(master, "SKD-2026", bytes(bad))


def test_rotation_rewraps_the_same_key_and_papers_still_open():
    old, new = new_key(), new_key()
    key, wrapped = new_exam_key(old, "E1")
    contents, layout = fixture_paper()
    pk_wrapped, nonce, ct = seal_paper(key, "E1", "0001", paper_document(layout, contents))
    rewrapped = rewrap_exam_key(old, new, "E1", wrapped)
    assert rewrapped != wrapped
    with pytest.raises(TamperedError):
        unwrap_exam_key(old, "E1", rewrapped)
    same = unwrap_exam_key(new, "E1", rewrapped)
    assert same == key
    doc = open_paper(open_paper_key(same, "E1", "0001", pk_wrapped), "E1", "0001", nonce, ct)
    assert doc["subtests"][0]["questions"][0]["text"] == "Ibu kota RI?"


def test_paper_document_shape_has_no_points_and_follows_layout_order():
    contents, layout = fixture_paper()
    doc = paper_document(layout, contents)
    q = doc["subtests"][0]["questions"][0]
    assert q["id"] == "10" and [o["id"] for o in q["options"]] == [
        str(o) for o in layout["subtests"][0]["questions"][0]["o"]
    ]
    assert "media" not in q
    q2 = doc["subtests"][1]["questions"][0]
    assert q2["media"] == [{"src": "bank:ab", "alt": "peta"}]
    text = json.dumps(doc)
    for word in ("points", "key", "score", "correct"):
        assert word not in text
    assert doc["subtests"][1]["title"] == "Intelegensia"


def test_fast_sealer_bytes_equal_the_reference_document():
    contents, layout = fixture_paper()
    assert PaperSealer(contents).document_bytes(layout) == encode_document(paper_document(layout, contents))


def test_paper_keys_are_per_candidate_and_tampering_is_detected():
    data_key = new_key()
    contents, layout = fixture_paper()
    doc = paper_document(layout, contents)
    w1, n1, c1 = seal_paper(data_key, "E1", "0001", doc)
    w2, n2, c2 = PaperSealer(contents).seal(data_key, "E1", "0002", layout)
    k1, k2 = open_paper_key(data_key, "E1", "0001", w1), open_paper_key(data_key, "E1", "0002", w2)
    assert k1 != k2 and open_paper(k2, "E1", "0002", n2, c2) == doc
    with pytest.raises(TamperedError):  # another candidate's wrapped key
        open_paper_key(data_key, "E1", "0002", w1)
    with pytest.raises(TamperedError):  # the paper moved to another candidate
        open_paper(k1, "E1", "0002", n1, c1)
    flipped = bytearray(c1)
    flipped[3] ^= 0x40
    with pytest.raises(TamperedError):
        open_paper(k1, "E1", "0001", n1, bytes(flipped))
    with pytest.raises(TamperedError):
        open_paper_key(new_key(), "E1", "0001", w1)
