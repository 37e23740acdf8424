"""Encrypted papers at rest: master key → exam data key → per-candidate paper key → the sealed paper."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ground import crypto
from question_bank.items import VersionContent


def exam_aad(exam_code: str) -> bytes:
    """The context bound into the wrapped exam data key: a key cannot be moved to another exam."""
    return f"exam:{exam_code}".encode()


def paper_aad(exam_code: str, participant_no: str) -> bytes:
    """The context bound into a candidate's paper key and paper (the browser decrypts with the same bytes)."""
    return f"exam:{exam_code}|candidate:{participant_no}".encode()


def new_exam_key(master: bytes, exam_code: str) -> tuple[bytes, bytes]:
    """A fresh exam data key and its wrapped form for ``Exam.data_key_wrapped``."""
    key = crypto.new_key()
    return key, crypto.wrap_key(master, key, exam_aad(exam_code))


def unwrap_exam_key(master: bytes, exam_code: str, wrapped: bytes) -> bytes:
    """The exam data key; raises TamperedError if the wrapped key, the exam code or the master key is wrong."""
    return crypto.unwrap_key(master, wrapped, exam_aad(exam_code))


def rewrap_exam_key(old_master: bytes, new_master: bytes, exam_code: str, wrapped: bytes) -> bytes:
    """Key rotation: the same data key wrapped by the new master key; no paper is re-encrypted."""
    return crypto.wrap_key(new_master, unwrap_exam_key(old_master, exam_code, wrapped), exam_aad(exam_code))


def _media(out: dict[str, Any], media: list[dict[str, Any]]) -> dict[str, Any]:
    if media:
        out["media"] = [{k: v for k, v in m.items() if k in ("src", "alt", "mime", "sha256")} for m in media]
    return out


def _stem(vid: str, c: VersionContent) -> dict[str, Any]:
    """A question's id and text, plus its sanitized HTML when it has tables or formulas (added only then)."""
    return {"id": vid, "text": c.text} | ({"html": c.html} if c.html else {})


def paper_document(layout: Mapping[str, Any], contents: Mapping[int, VersionContent]) -> dict[str, Any]:
    """The plaintext paper per the protocol: texts and option ids in the candidate's order — no points or keys."""
    subtests = []
    for sub in layout["subtests"]:
        questions = []
        for q in sub["questions"]:
            c = contents[q["v"]]
            by_id = {oid: (text, media) for oid, text, media in c.options}
            options = [_media({"id": str(oid), "text": by_id[oid][0]}, by_id[oid][1]) for oid in q["o"]]
            questions.append(_media(_stem(str(q["v"]), c), c.media) | {"options": options})
        subtests.append({"code": sub["code"], "title": sub["title"], "questions": questions})
    return {"subtests": subtests}


def encode_document(document: Mapping[str, Any]) -> bytes:
    """The exact bytes sealed for a paper (compact UTF-8 JSON)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _seal_bytes(data_key: bytes, exam_code: str, participant_no: str, plaintext: bytes) -> tuple[bytes, bytes, bytes]:
    aad = paper_aad(exam_code, participant_no)
    paper_key = crypto.new_key()
    wrapped = crypto.wrap_key(data_key, paper_key, aad)
    sealed = crypto.seal(paper_key, plaintext, aad)
    return wrapped, sealed.nonce, sealed.ciphertext


def seal_paper(
    data_key: bytes, exam_code: str, participant_no: str, document: Mapping[str, Any]
) -> tuple[bytes, bytes, bytes]:
    """Encrypt one paper under a fresh paper key: (``Paper.key_wrapped``, ``package_nonce``, ``package_ciphertext``)."""
    return _seal_bytes(data_key, exam_code, participant_no, encode_document(document))


def open_paper_key(data_key: bytes, exam_code: str, participant_no: str, wrapped: bytes) -> bytes:
    """The candidate's paper key (released to the browser at start); TamperedError on any mismatch."""
    return crypto.unwrap_key(data_key, wrapped, paper_aad(exam_code, participant_no))


def open_paper(
    paper_key: bytes, exam_code: str, participant_no: str, nonce: bytes, ciphertext: bytes
) -> dict[str, Any]:
    """Decrypt a sealed paper (what the browser does); TamperedError if a byte changed."""
    plain = crypto.open_sealed(paper_key, crypto.Sealed(nonce, ciphertext), paper_aad(exam_code, participant_no))
    return json.loads(plain.decode("utf-8"))


class PaperSealer:
    """Fast path for issuing thousands of papers: each question and option is JSON-encoded once, not per paper.

    ``document_bytes(layout)`` equals ``encode_document(paper_document(layout, contents))`` byte for byte.
    """

    def __init__(self, contents: Mapping[int, VersionContent]) -> None:
        self._head: dict[int, str] = {}
        self._opt: dict[int, str] = {}
        for vid, c in contents.items():
            q = _media(_stem(str(vid), c), c.media)
            self._head[vid] = _dumps(q)[:-1] + ',"options":['
            for oid, text, media in c.options:
                self._opt[oid] = _dumps(_media({"id": str(oid), "text": text}, media))

    def document_bytes(self, layout: Mapping[str, Any]) -> bytes:
        head, opt = self._head, self._opt
        parts = []
        for sub in layout["subtests"]:
            qs = ",".join(head[q["v"]] + ",".join([opt[o] for o in q["o"]]) + "]}" for q in sub["questions"])
            parts.append(_dumps({"code": sub["code"], "title": sub["title"]})[:-1] + ',"questions":[' + qs + "]}")
        return ('{"subtests":[' + ",".join(parts) + "]}").encode("utf-8")

    def seal(
        self, data_key: bytes, exam_code: str, participant_no: str, layout: Mapping[str, Any]
    ) -> tuple[bytes, bytes, bytes]:
        """Like :func:`seal_paper` for the paper built from ``layout``."""
        return _seal_bytes(data_key, exam_code, participant_no, self.document_bytes(layout))


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
