"""Encrypted papers: the key hierarchy, rotation without re-encryption, tamper detection, no points inside."""

import json

import pytest

from ground.crypto import TamperedError, new_key
from question_bank.assembly import PoolItem, assemble
from question_bank.blueprint import Blueprint, Section
from question_bank.items import VersionContent
from question_bank.labels import LABEL_BYTES, LabelClash, PaperLabels, PaperMap, image_map
from question_bank.packages import (
    PaperSealer,
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
            [{"src": "bank:" + "ab" * 32, "sha256": "ab" * 32, "alt": "peta", "mime": "image/png", "note": "x"}],
            "single",
            "TIU",
            [(110, "A", [{"src": "bank:" + "cd" * 32, "sha256": "cd" * 32}]), (111, "B", [])],
        ),
    }
    pool = [PoolItem(10, "TWK", None, None, (100, 101, 102)), PoolItem(11, "TIU", None, None, (110, 111))]
    bp = Blueprint("e", "e", 600, (Section("TWK", "Wawasan", 1), Section("TIU", "Intelegensia", 1)))
    return contents, assemble(bp, pool, 5)


def labelled(layout, seed=5, data_key=b"k" * 32):  # noqa: ANN001, ANN201
    return PaperMap(PaperLabels(data_key, seed), layout)


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
    pk_wrapped, nonce, ct = seal_paper(key, "E1", "0001", paper_document(layout, contents, labelled(layout)))
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
    pmap = labelled(layout)
    doc = paper_document(layout, contents, pmap)
    q = doc["subtests"][0]["questions"][0]
    first = layout["subtests"][0]["questions"][0]
    assert q["id"] == pmap.question_labels[first["v"]]
    assert [o["id"] for o in q["options"]] == [q["id"] + str(place) for place in range(3)], "named by their place"
    assert [o["id"] for o in q["options"]] == [pmap.option_labels[o] for o in first["o"]]
    text_of = {oid: text for oid, text, _media in contents[10].options}
    assert [o["text"] for o in q["options"]] == [text_of[o] for o in first["o"]]
    assert "media" not in q
    q2 = doc["subtests"][1]["questions"][0]
    assert q2["media"] == [{"ref": pmap.labels.image("ab" * 32), "alt": "peta", "mime": "image/png"}]
    text = json.dumps(doc)
    for word in ("points", "key", "score", "correct", "ab" * 32, "cd" * 32, "bank:", "src"):
        assert word not in text
    assert doc["subtests"][1]["title"] == "Intelegensia"


def test_two_papers_share_no_question_option_or_image_label():
    contents, layout = fixture_paper()
    docs = [paper_document(layout, contents, labelled(layout, seed)) for seed in (1, 2)]

    def ids(doc):  # noqa: ANN001, ANN202
        return {x for sub in doc["subtests"] for q in sub["questions"]
                for x in [q["id"], *(m["ref"] for m in q.get("media", [])),
                          *(y for o in q["options"] for y in [o["id"], *(m["ref"] for m in o.get("media", []))])]}

    first, second = ids(docs[0]), ids(docs[1])
    assert len(first) == 2 + 5 + 2 and not first & second  # the same items, nothing in common
    assert not {"10", "11", "100", "101", "102", "110", "111"} & first  # no bank id anywhere
    other_exam = paper_document(layout, contents, labelled(layout, 1, data_key=b"x" * 32))
    assert not ids(other_exam) & first, "the same seed in another exam (another data key) labels differently"


def test_labels_follow_no_id_order_and_map_back():
    layout = {"subtests": [{"code": "T", "title": "T", "questions": [
        {"v": v, "o": list(range(v * 100, v * 100 + 5))} for v in range(1, 41)]}]}  # fmt: skip
    pmap = labelled(layout)
    labels = [pmap.question_labels[v] for v in range(1, 41)]
    assert labels != sorted(labels) and labels != sorted(labels, reverse=True)
    assert {len(label) for label in labels} == {LABEL_BYTES * 4 // 3}
    for v in (1, 17, 40):
        vid, options = pmap.question(pmap.question_labels[v])
        assert vid == v and sorted(options.values()) == list(range(v * 100, v * 100 + 5))
        assert all(pmap.option_labels[o] == label for label, o in options.items())
    assert pmap.question("1") is None and pmap.question(str(1)) is None
    assert pmap.saved({3: 301}, [5, 3]) == (
        {pmap.question_labels[3]: pmap.option_labels[301]}, sorted([pmap.question_labels[5], pmap.question_labels[3]])
    )


def test_a_label_clash_is_refused_not_served(monkeypatch: pytest.MonkeyPatch):
    _contents, layout = fixture_paper()
    monkeypatch.setattr(PaperLabels, "_label", lambda self, what: "same")  # every label meets every other
    with pytest.raises(LabelClash):
        labelled(layout)
    with pytest.raises(LabelClash):
        image_map(PaperLabels(b"k" * 32, 1), ["ab" * 32, "cd" * 32])


def test_paper_keys_are_per_candidate_and_tampering_is_detected():
    data_key = new_key()
    contents, layout = fixture_paper()
    doc = paper_document(layout, contents, labelled(layout))
    w1, n1, c1 = seal_paper(data_key, "E1", "0001", doc)
    w2, n2, c2 = PaperSealer(contents).seal(data_key, "E1", "0002", layout, labelled(layout))
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
