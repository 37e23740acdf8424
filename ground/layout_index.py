"""A plain paper's layout as a few bytes (``Paper.layout_index``): whole-exam jobs read subtests and versions from it
instead of decoding every paper's JSON and walking it question by question.

Format 1, little-endian: the format byte, the number of subtests, each subtest code (its length in a byte, then
ASCII), zero padding to a multiple of four, each subtest's question count (int32), then every version id (int32,
in layout order). Only a *plain* layout gets one: each subtest once, no multiple-response question, each version
once; :func:`plain_index` also wants every question to show exactly its version's options. Anything else has no
index (``None``) and is read from the JSON, which stays the paper's truth.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

FORMAT = 1
MAX_ID = 0x7FFFFFFF  # version ids are stored as int32
_I4 = np.dtype("<i4")


def encode(layout: Any) -> bytes | None:
    """The index of a plain layout, or None when the index could not stand for it exactly."""
    try:
        subtests = layout["subtests"]
        if not isinstance(subtests, list) or len(subtests) > 255:
            return None
        head = bytearray((FORMAT, len(subtests)))
        counts: list[int] = []
        versions: list[int] = []
        for st in subtests:
            code, questions = st["code"], st["questions"]
            if not isinstance(code, str) or not code.isascii() or len(code) > 255 or not isinstance(questions, list):
                return None
            head += bytes((len(code),)) + code.encode("ascii")
            counts.append(len(questions))
            for q in questions:
                v = q["v"]
                if q.get("m") or type(v) is not int or not 0 <= v <= MAX_ID:
                    return None
                versions.append(v)
    except (KeyError, TypeError, AttributeError):
        return None
    codes = [st["code"] for st in subtests]
    if len(set(codes)) != len(codes) or len(set(versions)) != len(versions):
        return None
    head += bytes(-len(head) % 4)
    return bytes(head) + np.asarray(counts + versions, dtype=_I4).tobytes()


def plain_index(layout: Any, options: Mapping[int, Collection[int]]) -> bytes | None:
    """:func:`encode`, only when every question shows exactly its version's options (``options``: the bank's option
    ids per version), each once: then a reader of the index needs no shown-options check."""
    blob = encode(layout)
    if blob is None:
        return None
    for st in layout["subtests"]:
        for q in st["questions"]:
            shown, known = q.get("o"), options.get(q["v"])
            if not isinstance(shown, list) or known is None or len(set(shown)) != len(shown) \
                    or set(shown) != set(known):
                return None
    return blob


def _header(blob: bytes) -> tuple[int, tuple[str, ...], tuple[int, ...]] | None:
    """(bytes before the first version id, codes, counts) of a well-formed index, else None."""
    if len(blob) < 4 or blob[0] != FORMAT:
        return None
    at, codes = 2, []
    for _ in range(blob[1]):
        size = blob[at] if at < len(blob) else -1
        raw = bytes(blob[at + 1 : at + 1 + size])
        if size < 0 or len(raw) != size or not raw.isascii():
            return None
        codes.append(raw.decode("ascii"))
        at += 1 + size
    at += -at % 4
    if len(blob) < at + 4 * len(codes):
        return None
    counts = tuple(np.frombuffer(blob, dtype=_I4, count=len(codes), offset=at).tolist())
    at += 4 * len(codes)
    if min(counts, default=0) < 0 or len(blob) != at + 4 * sum(counts):
        return None
    return at, tuple(codes), counts


def decode(blob: bytes) -> dict[str, list[int]] | None:
    """{code: version ids} in layout order (None: not an index); for tests and one-paper readers."""
    head = _header(blob)
    if head is None:
        return None
    at, codes, counts = head
    versions = np.frombuffer(blob, dtype=_I4, offset=at).tolist()
    ends = np.cumsum((0, *counts)).tolist()
    return {c: versions[ends[i] : ends[i + 1]] for i, c in enumerate(codes)}


@dataclass(frozen=True)
class FlatIndex:
    """Many papers' indexes as arrays: one entry per question, papers in the given order, questions in layout order."""

    codes: list[str]  # every subtest code met, in the order first met
    subtests: list[tuple[int, ...] | None]  # per blob: its subtests (into codes) in order; None: no (readable) index
    row: np.ndarray  # int64: the blob's position in the list
    sub: np.ndarray  # int64: the question's subtest, into codes
    version: np.ndarray  # int64


def decode_many(blobs: Sequence[bytes | None]) -> FlatIndex:
    """Every blob at once: papers with the same header (codes and counts: one blueprint) are joined and read by one
    ``frombuffer``, so the work per question is numpy's; a None or malformed blob gives ``subtests[i] = None``."""
    codes: dict[str, int] = {}
    groups: dict[bytes, list[int]] = {}
    shape: dict[bytes, tuple[int, tuple[int, ...], tuple[int, ...]]] = {}  # header → (its length, subtests, counts)
    subtests: list[tuple[int, ...] | None] = [None] * len(blobs)
    last, last_len = b"\xff", -1
    for i, blob in enumerate(blobs):
        if blob is None:
            continue
        if len(blob) != last_len or not blob.startswith(last):
            head = _header(blob)
            if head is None:
                continue
            at, names, counts = head
            last, last_len = bytes(blob[:at]), len(blob)
            if last not in shape:
                shape[last] = (at, tuple(codes.setdefault(c, len(codes)) for c in names), counts)
                groups[last] = []
        groups[last].append(i)
        subtests[i] = shape[last][1]
    sizes = np.zeros(len(blobs), dtype=np.int64)
    for head, rows in groups.items():
        sizes[rows] = sum(shape[head][2])
    starts = np.zeros(len(blobs), dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    total = int(sizes.sum())
    sub = np.empty(total, dtype=np.int64)
    version = np.empty(total, dtype=np.int64)
    for head, rows in groups.items():
        at, subs, counts = shape[head]
        width = sum(counts)
        block = np.frombuffer(b"".join(blobs[r] for r in rows), dtype=_I4)  # type: ignore[misc]
        block = block.reshape(len(rows), at // 4 + width)[:, at // 4 :]
        dest = (starts[rows][:, None] + np.arange(width, dtype=np.int64)).ravel()
        version[dest] = block.ravel()
        sub[dest] = np.tile(np.repeat(np.asarray(subs, dtype=np.int64), counts), len(rows))
    row = np.repeat(np.arange(len(blobs), dtype=np.int64), sizes)
    return FlatIndex(list(codes), subtests, row, sub, version)
