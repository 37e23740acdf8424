"""Encrypted papers at rest: master key → exam data key → per-candidate paper key → the sealed paper."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ground import crypto
from question_bank.items import VersionContent
from question_bank.labels import PaperLabels, PaperMap


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


def _media(media: list[dict[str, Any]], labels: PaperLabels) -> str:
    """A ``"media"`` member (or nothing): each image by its per-paper label, never its hash or file name."""
    shown = [
        {"ref": labels.image(m["sha256"])} | {k: m[k] for k in ("alt", "mime") if m.get(k)}
        for m in media if m.get("sha256")
    ]
    return ',"media":' + _dumps(shown) if shown else ""


def _body(text: str, html: str | None = None) -> str:
    """The members after the id: the text, and the sanitized HTML when the stem has tables or formulas."""
    return _dumps({"text": text} | ({"html": html} if html else {}))[1:-1]


def paper_document(layout: Mapping[str, Any], contents: Mapping[int, VersionContent], pmap: PaperMap) -> dict[str, Any]:
    """The plaintext paper per the protocol: texts and per-paper labels in the candidate's order — no points or keys."""
    shown = {q["v"] for sub in layout["subtests"] for q in sub["questions"]}
    return json.loads(PaperSealer({v: contents[v] for v in shown}).document_bytes(layout, pmap))


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
    """Issuing thousands of papers: each question's and option's text is JSON-encoded once, not per paper.

    Only the labels (and image labels) differ between papers; they are spliced into the encoded texts.
    """

    def __init__(self, contents: Mapping[int, VersionContent]) -> None:
        self._head: dict[int, str] = {}  # '",' + the stem's members: follows the question's label
        self._opt: dict[int, str] = {}  # '",' + the option's members + '}': follows the option's label
        self._stem_media: dict[int, list[dict[str, Any]]] = {}  # images are named per paper: added per paper
        self._option_media: dict[int, list[dict[str, Any]]] = {}
        for vid, c in contents.items():
            self._head[vid] = '",' + _body(c.text, c.html)
            if c.media:
                self._stem_media[vid] = c.media
            for oid, text, media in c.options:
                self._opt[oid] = '",' + _body(text) + "}"
                if media:
                    self._option_media[oid] = media

    def document_bytes(self, layout: Mapping[str, Any], pmap: PaperMap) -> bytes:
        head, opt, stem_media, option_media = self._head, self._opt, self._stem_media, self._option_media
        qlabel, olabel, labels = pmap.question_labels, pmap.option_labels, pmap.labels
        parts = []
        for sub in layout["subtests"]:
            qs = []
            for q in sub["questions"]:
                vid = q["v"]
                options = [
                    '{"id":"' + olabel[o]
                    + (opt[o] if o not in option_media else opt[o][:-1] + _media(option_media[o], labels) + "}")
                    for o in q["o"]
                ]
                stem = head[vid] + _media(stem_media[vid], labels) if vid in stem_media else head[vid]
                many = ',"multiple":true' if q.get("m") else ""  # checkboxes: the answer is a set of options
                qs.append('{"id":"' + qlabel[vid] + stem + many + ',"options":[' + ",".join(options) + "]}")
            title = _dumps({"code": sub["code"], "title": sub["title"]})[:-1]
            parts.append(title + ',"questions":[' + ",".join(qs) + "]}")
        return ('{"subtests":[' + ",".join(parts) + "]}").encode("utf-8")

    def seal(
        self, data_key: bytes, exam_code: str, participant_no: str, layout: Mapping[str, Any], pmap: PaperMap
    ) -> tuple[bytes, bytes, bytes]:
        """Encrypt the paper built from ``layout`` under a fresh paper key (see :func:`seal_paper`)."""
        return _seal_bytes(data_key, exam_code, participant_no, self.document_bytes(layout, pmap))


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
