"""Format-neutral item drafts: what every importer produces and what the store persists."""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ground.i18n import _

KINDS = ("single", "multiple", "truefalse")
_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]+>")


@dataclass
class OptionDraft:
    """One answer option with its points: the key is data (5/0, 1–5, partial credit), never code."""

    text: str
    points: float = 0.0
    media: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ItemDraft:
    """An item as read from a file, before it has database ids; ``source`` says where it came from."""

    uid: str
    subtest: str
    text: str
    options: list[OptionDraft]
    kind: str = "single"
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    difficulty: str | None = None
    explanation: str | None = None
    media: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""
    # True when the uid is an identifier the file keeps stable (our uid, QTI identifier, Moodle idnumber); False
    # for names and content hashes, which never update another item (a clash gets a uid of its own)
    explicit_uid: bool = True
    score_lower: float | None = None  # the item's score never goes below this (QTI mapping lowerBound)
    score_upper: float | None = None  # nor above this (QTI mapping upperBound)
    # sanitized HTML of the stem when plain text would lose its structure (tables, MathML); ``text`` stays the
    # plain form (duplicates, search, formats without HTML)
    html: str | None = None

    def all_media(self) -> list[dict[str, Any]]:
        """The question's media, then its options': every image the item shows (what an import must store)."""
        return [*self.media, *(m for o in self.options for m in o.media)]


def normalise_text(s: str) -> str:
    """Text as compared for duplicates: Unicode NFKC, tags dropped, case folded, whitespace collapsed."""
    s = unicodedata.normalize("NFKC", s or "")
    s = _TAG.sub(" ", s)
    s = s.replace("&nbsp;", " ")
    return _SPACE.sub(" ", s).strip().casefold()


def _media_key(media: list[dict[str, Any]]) -> list[str]:
    return [str(m.get("sha256") or m.get("src") or "") for m in media]


def content_hash(draft: ItemDraft) -> str:
    """SHA-256 of what a candidate sees and what is scored (normalised), so re-imports and copies match."""
    body: dict[str, Any] = {
        "kind": draft.kind,
        "text": normalise_text(draft.text),
        "media": _media_key(draft.media),
        "options": [[normalise_text(o.text), float(o.points), _media_key(o.media)] for o in draft.options],
    }
    if draft.html:  # only then, so older hashes stay valid
        body["html"] = draft.html
    if draft.score_lower is not None or draft.score_upper is not None:  # only then, so older hashes stay valid
        body["bounds"] = [draft.score_lower, draft.score_upper]
    raw = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def distinct_uid(base: str, chash: str) -> str:
    """A uid for a named (not identified) item whose name is taken: the name plus its content, stable on re-import."""
    return f"{base[:119]}#{chash[:8]}"


def text_hash(text: str) -> str:
    """SHA-256 of the normalised question text alone (same question, possibly other options)."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def check_draft(draft: ItemDraft) -> list[str]:
    """What makes a draft undeliverable or unscorable (empty list: fine); messages in English source form."""
    problems: list[str] = []
    if not draft.uid or not draft.uid.strip():
        problems.append(_("item id is empty"))
    elif len(draft.uid) > 128:
        problems.append(_("item id is longer than 128 characters"))
    if not draft.subtest or not draft.subtest.strip():
        problems.append(_("subtest is empty (the file does not name one: give --subtest)"))
    elif len(draft.subtest) > 32:
        problems.append(_("subtest is longer than 32 characters"))
    if not normalise_text(draft.text) and not draft.media:
        problems.append(_("question text is empty"))
    if draft.kind not in KINDS:
        problems.append(
            _("unknown item kind %(kind)r (expected one of %(kinds)s)", kind=draft.kind, kinds=", ".join(KINDS))
        )
    if len(draft.options) < 2:
        problems.append(_("needs at least 2 options, has %(n)s", n=len(draft.options)))
    if draft.kind == "truefalse" and len(draft.options) != 2:
        problems.append(_("a true/false item needs exactly 2 options, has %(n)s", n=len(draft.options)))
    seen: set[str] = set()
    for i, opt in enumerate(draft.options, 1):
        norm = normalise_text(opt.text)
        if not norm and not opt.media:
            problems.append(_("option %(n)s is empty", n=i))
        elif norm and norm in seen:
            problems.append(_("option %(n)s repeats an earlier option", n=i))
        seen.add(norm)
        if not isinstance(opt.points, int | float) or not math.isfinite(opt.points):
            problems.append(_("option %(n)s has points that are not a finite number", n=i))
    bounds = [b for b in (draft.score_lower, draft.score_upper) if b is not None]
    if any(not isinstance(b, int | float) or not math.isfinite(b) for b in bounds):
        problems.append(_("score bounds must be finite numbers"))
    elif len(bounds) == 2 and bounds[0] > bounds[1]:
        problems.append(
            _("lower score bound %(lower)s is above the upper bound %(upper)s", lower=bounds[0], upper=bounds[1])
        )
    if draft.options and max((o.points for o in draft.options), default=0) <= 0:
        problems.append(_("no option carries points (no correct answer or weight)"))
    return problems


@dataclass(frozen=True)
class VersionContent:
    """What a candidate is shown for one item version: text, media and options in stored order — no points."""

    text: str
    media: list[dict[str, Any]]
    kind: str
    subtest: str
    options: list[tuple[int, str, list[dict[str, Any]]]]
    html: str | None = None  # sanitized HTML of the stem (tables, MathML) when the item has one
