"""The layout index holds a plain layout's codes and versions exactly, refuses what it cannot, and decodes in bulk."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ground.layout_index import MAX_ID, decode, decode_many, encode, plain_index


def layout(*subtests: tuple[str, list[int]]) -> dict[str, Any]:
    return {"subtests": [{"code": c, "title": c.lower(), "questions": [{"v": v, "o": [v * 10, v * 10 + 1]} for v in vs]}
                         for c, vs in subtests]}


def test_round_trip() -> None:
    lay = layout(("TWK", [5, 9, 1]), ("TIU", []), ("TKP", [MAX_ID, 0]), ("X-7_b", [42]))
    blob = encode(lay)
    assert blob is not None and len(blob) % 4 == 0
    assert decode(blob) == {"TWK": [5, 9, 1], "TIU": [], "TKP": [MAX_ID, 0], "X-7_b": [42]}
    assert list(decode(blob) or {}) == ["TWK", "TIU", "TKP", "X-7_b"]  # the layout's order
    assert decode(encode({"subtests": []}) or b"") == {}


@pytest.mark.parametrize("bad", [
    {"subtests": [{"code": "A", "questions": [{"v": -1}]}]},  # negative id
    {"subtests": [{"code": "A", "questions": [{"v": MAX_ID + 1}]}]},  # beyond int32
    {"subtests": [{"code": "A", "questions": [{"v": "7"}]}]},  # not an int
    {"subtests": [{"code": "A", "questions": [{"v": True}]}]},
    {"subtests": [{"code": "A", "questions": [{"v": 7.0}]}]},
    {"subtests": [{"code": "A", "questions": [{"o": [1]}]}]},  # no version
    {"subtests": [{"code": "Ä", "questions": [{"v": 1}]}]},  # not ASCII
    {"subtests": [{"code": "A" * 256, "questions": [{"v": 1}]}]},  # longer than a byte can say
    {"subtests": [{"code": 7, "questions": [{"v": 1}]}]},
    {"subtests": [{"code": "A", "questions": [{"v": 1}]}, {"code": "A", "questions": [{"v": 2}]}]},  # code twice
    {"subtests": [{"code": "A", "questions": [{"v": 1}]}, {"code": "B", "questions": [{"v": 1}]}]},  # version twice
    {"subtests": [{"code": "A", "questions": [{"v": 1, "m": True}]}]},  # multiple-response
    {"subtests": [{"code": "A"}]},  # no questions
    {"subtests": [{"code": f"S{i}", "questions": []} for i in range(256)]},  # too many subtests
    {"subtests": {"code": "A"}},
    {},
    None,
])
def test_refuses_what_it_cannot_hold(bad: Any) -> None:
    assert encode(bad) is None


def test_plain_index_wants_exactly_the_versions_options() -> None:
    lay = layout(("A", [1, 2]), ("B", [3]))
    bank = {1: [11, 10], 2: [20, 21], 3: [31, 30]}
    assert plain_index(lay, bank) == encode(lay) is not None
    assert plain_index(lay, bank | {3: [30, 31, 32]}) is None  # an option not shown
    assert plain_index(lay, bank | {3: [30]}) is None  # an option that is not the version's
    assert plain_index(lay, {1: [10, 11], 2: [20, 21]}) is None  # a version the bank does not know
    twice = layout(("A", [1]))
    twice["subtests"][0]["questions"][0]["o"] = [10, 11, 10]
    assert plain_index(twice, bank) is None
    assert plain_index({"subtests": [{"code": "A", "questions": [{"v": 1}]}]}, bank) is None  # no options shown


def test_decode_many_matches_one_by_one() -> None:
    skd = [layout(("TWK", [i, i + 100, i + 200]), ("TIU", [i + 300]), ("TKP", [i + 400, i + 500])) for i in range(5)]
    other = layout(("TIU", [7, 8]), ("TWK", [9]))
    blobs: list[bytes | None] = [encode(x) for x in skd]
    blobs[2:2] = [None, b"\x01\x03junk", encode(other), b"", b"\x02" + (blobs[0] or b"")[1:],
                  (blobs[0] or b"")[:-4]]  # no index, malformed, another header, empty, other format, truncated
    flat = decode_many(blobs)
    assert [s is not None for s in flat.subtests] == [True, True, False, False, True, False, False, False, True, True,
                                                      True]
    want_rows, want_codes, want_versions = [], [], []
    for i, blob in enumerate(blobs):
        one = decode(blob) if blob is not None else None
        assert (one is None) == (flat.subtests[i] is None)
        if one is None:
            continue
        assert [flat.codes[c] for c in flat.subtests[i] or ()] == list(one)
        for code, vs in one.items():
            want_rows += [i] * len(vs)
            want_codes += [code] * len(vs)
            want_versions += vs
    assert flat.row.tolist() == want_rows
    assert [flat.codes[c] for c in flat.sub.tolist()] == want_codes
    assert flat.version.tolist() == want_versions
    assert flat.subtests[0] is flat.subtests[1]  # one blueprint: one tuple, read once
    assert flat.version.dtype == flat.row.dtype == flat.sub.dtype == np.int64


def test_decode_many_of_nothing() -> None:
    flat = decode_many([])
    assert (flat.codes, flat.subtests, len(flat.version)) == ([], [], 0)
    flat = decode_many([None, None])
    assert flat.subtests == [None, None] and len(flat.row) == 0
