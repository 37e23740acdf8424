"""Persisting the bank (SQLAlchemy, no Flask): imports with versioning and duplicate checks, pools, contents.

Texts, options with their points, explanations and images are stored sealed (``ground.bank_seal``) and opened
only here, in memory, for whoever needs them (assembly, scoring, exports); duplicates match on keyed fingerprints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session, selectinload

from ground import bank_seal, clock
from ground.bank_seal import BankCipher, LazyCipher
from ground.errors import AppError
from ground.i18n import _
from ground.models import Item, ItemVersion, Option
from ground.models.bank_images import BankImage
from question_bank.assembly import PoolItem
from question_bank.formats import ParseResult, Problem, used_images
from question_bank.items import (
    ItemDraft,
    OptionDraft,
    VersionContent,
    content_hash,
    distinct_uid,
    normalise_text,
    text_hash,
)

_CHUNK = 500  # ids per IN (...) so large pools stay under every backend's parameter limit


@dataclass
class ImportReport:
    """What an import did: counts, duplicates by place, and the mix of what went in."""

    imported: int = 0  # new items
    updated: int = 0  # existing uids whose content changed: a new version each
    duplicates: int = 0  # not stored because already there: unchanged re-imports and copies under another uid
    unchanged: int = 0  # of the duplicates, the same uid with the same content
    skipped: int = 0
    problems: list[Problem] = field(default_factory=list)
    duplicate_details: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    by_subtest: Counter[str] = field(default_factory=Counter)
    by_difficulty: Counter[str] = field(default_factory=Counter)
    images: int = 0  # new images stored
    update_details: list[Problem] = field(default_factory=list)  # per updated item: old → new
    refused: list[Problem] = field(default_factory=list)  # updates not allowed (no --update): nothing stored

    def as_dict(self) -> dict[str, Any]:
        """The machine-readable summary (``bank import --json``)."""
        return {
            "imported": self.imported,
            "new": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "problems": [p.as_dict() for p in self.problems],
            "duplicate_details": [p.as_dict() for p in self.duplicate_details],
            "update_details": [p.as_dict() for p in self.update_details],
            "warnings": [p.as_dict() for p in self.warnings],
            "by_subtest": dict(sorted(self.by_subtest.items())),
            "by_difficulty": dict(sorted(self.by_difficulty.items())),
            "images": self.images,
        }


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def _current_join():  # noqa: ANN202 - a SQL expression
    return and_(Item.id == ItemVersion.item_id, Item.current_version == ItemVersion.version)


_BATCH = 500  # drafts per bulk INSERT round


def _version_payload(d: ItemDraft) -> dict[str, Any]:
    return {"text": d.text, "explanation": d.explanation, "html": d.html, "media": list(d.media)}


def _insert_versions(
    session: Session, cipher: BankCipher, rows: list[tuple[int, int, ItemDraft, str]], now  # noqa: ANN001
) -> None:
    """Bulk-insert versions (item id, version number, draft, keyed hash) and their options, sealed, in option order.

    An option's sealed content names its own row id, so options are inserted empty first and sealed by id: no
    plaintext is ever written (nor left in the WAL).
    """
    if not rows:
        return
    ids = session.scalars(
        insert(ItemVersion).returning(ItemVersion.id, sort_by_parameter_order=True),
        [
            {"item_id": item_id, "version": number, "kind": d.kind, "text": "", "explanation": None, "media": [],
             "content_hash": chash, "text_hash": cipher.fingerprint(text_hash(d.text)), "created_at": now,
             "score_lower": d.score_lower, "score_upper": d.score_upper, "text_html": None,
             "sealed": cipher.seal(bank_seal.version_aad(d.uid, number), _version_payload(d))}
            for item_id, number, d, chash in rows
        ],
    ).all()  # fmt: skip
    drafts = [(vid, o) for vid, (_item_id, _n, d, _h) in zip(ids, rows, strict=True) for o in d.options]
    positions = [i for _item_id, _n, d, _h in rows for i in range(len(d.options))]
    if not drafts:
        return
    option_ids = session.scalars(
        insert(Option).returning(Option.id, sort_by_parameter_order=True),
        [
            {"item_version_id": vid, "position": i, "text": "", "points": None, "media": []}
            for (vid, _o), i in zip(drafts, positions, strict=True)
        ],
    ).all()
    session.execute(
        update(Option),
        [
            {"id": oid, "sealed": cipher.seal(bank_seal.option_aad(vid, oid), _option_payload(o))}
            for oid, (vid, o) in zip(option_ids, drafts, strict=True)
        ],
    )


def _option_payload(o: OptionDraft) -> dict[str, Any]:
    return {"text": o.text, "points": float(o.points), "media": list(o.media)}


@dataclass(frozen=True)
class _Opened:
    """A stored version's content in memory (opened, or read as it is from a row written before sealing)."""

    text: str
    explanation: str | None
    html: str | None
    media: list[dict[str, Any]]
    options: list[tuple[str, float, list[dict[str, Any]]]]  # text, points, media in stored order


def _open_options(lazy: LazyCipher, version: ItemVersion) -> list[tuple[str, float, list[dict[str, Any]]]]:
    """A version's options (text, points, media) in stored order, from the ORM rows."""
    options: list[tuple[str, float, list[dict[str, Any]]]] = []
    for o in version.options:
        sealed = bank_seal.open_option(lazy, version.id, o.id, o.sealed)
        if sealed is None:
            options.append((o.text, float(o.points or 0.0), list(o.media or [])))
        else:
            options.append((sealed["text"], float(sealed["points"]), list(sealed["media"] or [])))
    return options


def _open_version(lazy: LazyCipher, item: Item, version: ItemVersion, *, with_options: bool = True) -> _Opened:
    """Open one version and (unless not needed: a re-import's check) its options, from the ORM rows."""
    options = _open_options(lazy, version) if with_options else []
    if version.sealed is None:
        return _Opened(version.text, version.explanation, version.text_html, list(version.media or []), options)
    v = lazy.get().open(bank_seal.version_aad(item.uid, version.version), version.sealed)
    return _Opened(v["text"], v["explanation"], v["html"], list(v["media"] or []), options)


def _media_refs(drafts: Iterable[ItemDraft]) -> Iterable[tuple[ItemDraft, str]]:
    for d in drafts:
        for m in d.all_media():
            if m.get("sha256"):
                yield d, m["sha256"]


def check_media(
    session: Session, drafts: Iterable[ItemDraft], images: Mapping[str, tuple[str, bytes]] | None = None
) -> list[tuple[str, Problem]]:
    """(uid, problem) for each ``bank:<sha256>`` image that is neither in this import nor already in the bank."""
    refs = list(_media_refs(drafts))
    wanted = sorted({sha for _d, sha in refs if not images or sha not in images})
    have: set[str] = set()
    for chunk in _chunks(wanted):  # type: ignore[arg-type]
        have.update(session.scalars(select(BankImage.sha256).where(BankImage.sha256.in_(chunk))))
    return [
        (d.uid, Problem(f"{d.source} [{d.uid}]", _("image bank:%(sha)s is not in the bank", sha=sha)))
        for d, sha in refs
        if sha in wanted and sha not in have
    ]


def store_images(session: Session, images: Mapping[str, tuple[str, bytes]], cipher: BankCipher) -> int:
    """Add images the bank does not hold yet (content-addressed: the same picture is stored once), sealed."""
    shas = sorted(images)
    have: set[str] = set()
    for chunk in _chunks(shas):  # type: ignore[arg-type]
        have.update(session.scalars(select(BankImage.sha256).where(BankImage.sha256.in_(chunk))))
    now = clock.now()
    new = [s for s in shas if s not in have]
    for sha in new:
        mime, data = images[sha]
        sealed = cipher.seal_image(sha, mime, data)
        session.add(BankImage(sha256=sha, mime=mime, size=len(data), data=sealed, created_at=now))
    return len(new)


def get_image(session: Session, sha256: str) -> tuple[str, bytes] | None:
    """An image's MIME type and bytes by hash (what the app serves for ``bank:<sha256>``)."""
    row = session.get(BankImage, sha256)
    if row is None:
        return None
    return row.mime, _open_image(LazyCipher(session), row.sha256, row.mime, row.data)


def _open_image(lazy: LazyCipher, sha256: str, mime: str, stored: bytes) -> bytes:
    if not bytes(stored).startswith(bank_seal.IMAGE_PREFIX):
        return bytes(stored)
    return lazy.get().open_image(sha256, mime, stored)


def image_hashes(contents: Mapping[int, VersionContent]) -> set[str]:
    """Every image a set of item versions shows (question and options): what a paper may fetch, nothing more."""
    out: set[str] = set()
    for c in contents.values():
        for m in list(c.media) + [m for _oid, _text, media in c.options for m in media]:
            if m.get("sha256"):
                out.add(m["sha256"])
    return out


def images_of(session: Session, drafts: Iterable[ItemDraft]) -> dict[str, bytes]:
    """The bytes of every image the drafts refer to (for exports)."""
    shas = sorted({sha for _d, sha in _media_refs(drafts)})
    out: dict[str, bytes] = {}
    lazy = LazyCipher(session)
    for chunk in _chunks(shas):  # type: ignore[arg-type]
        q = select(BankImage.sha256, BankImage.mime, BankImage.data).where(BankImage.sha256.in_(chunk))
        for sha, mime, data in session.execute(q):
            out[sha] = _open_image(lazy, sha, mime, data)
    return out


def _same_text_warnings(
    session: Session, cipher: BankCipher, creates: list[tuple[ItemDraft, str]], report: ImportReport
) -> None:
    """Warn (do not refuse) when a new item repeats a question text of its subtest with different options."""
    hashes = {d.uid: cipher.fingerprint(text_hash(d.text)) for d, _h in creates if normalise_text(d.text)}
    seen: dict[tuple[str, str], str] = {}
    wanted = sorted(set(hashes.values()))
    for chunk in _chunks(wanted):  # type: ignore[arg-type]
        q = select(Item.subtest, ItemVersion.text_hash, Item.uid).join(ItemVersion, _current_join())
        for sub, th, uid in session.execute(q.where(ItemVersion.text_hash.in_(chunk))):
            seen.setdefault((sub, th), uid)
    for d, _h in creates:
        if d.uid not in hashes:
            continue
        other = seen.setdefault((d.subtest, hashes[d.uid]), d.uid)
        if other != d.uid:
            report.warnings.append(
                Problem(
                    d.source,
                    _("%(uid)s has the same question text as %(other)s (the options differ)", uid=d.uid, other=other),
                )
            )


def _short(text: str | None, limit: int = 60) -> str:
    one = " ".join((text or "").split())
    return repr(one if len(one) <= limit else one[: limit - 1] + "…")


def _change_summary(item: Item, version: ItemVersion, opened: _Opened, draft: ItemDraft) -> str:
    """What an update would change, old → new, field by field (shown per item before anything is stored)."""
    parts: list[str] = []
    if normalise_text(opened.text) != normalise_text(draft.text):
        parts.append(_("text: %(old)s → %(new)s", old=_short(opened.text), new=_short(draft.text)))
    if version.kind != draft.kind:
        parts.append(_("kind: %(old)s → %(new)s", old=version.kind, new=draft.kind))
    old_opts = [(normalise_text(text), float(points)) for text, points, _media in opened.options]
    new_opts = [(normalise_text(o.text), float(o.points)) for o in draft.options]
    if old_opts != new_opts:
        show = lambda opts: "; ".join(f"{t[:20]} ({p:g})" for t, p in opts)  # noqa: E731
        parts.append(_("options: %(old)s → %(new)s", old=show(old_opts), new=show(new_opts)))
    if (opened.explanation or None) != (draft.explanation or None):
        parts.append(
            _("explanation: %(old)s → %(new)s", old=_short(opened.explanation), new=_short(draft.explanation))
        )
    for label, old, new in (
        ("score bounds", (version.score_lower, version.score_upper), (draft.score_lower, draft.score_upper)),
        ("subtest", item.subtest, draft.subtest), ("category", item.category, draft.category),
        ("difficulty", item.difficulty, draft.difficulty), ("tags", list(item.tags or []), list(draft.tags)),
    ):  # fmt: skip
        if old != new:
            parts.append(_("%(field)s: %(old)s → %(new)s", field=label, old=old, new=new))
    if (opened.html or None) != (draft.html or None) and not parts:
        parts.append(_("formatting (tables, formulas) changed"))
    if not parts:
        parts.append(_("images or scoring details changed"))
    return "; ".join(parts)


def _current(session: Session, uids: Sequence[str]) -> dict[str, tuple[Item, ItemVersion]]:
    out: dict[str, tuple[Item, ItemVersion]] = {}
    for chunk in _chunks(list(dict.fromkeys(uids))):  # type: ignore[arg-type]
        rows = session.execute(select(Item, ItemVersion).join(ItemVersion, _current_join()).where(Item.uid.in_(chunk)))
        for item, version in rows:
            out[item.uid] = (item, version)
    return out


def _unchanged(item: Item, version: ItemVersion, opened: _Opened, draft: ItemDraft, chash: str) -> tuple[bool, bool]:
    """(content the same, metadata the same) between the bank's current version and a draft."""
    same = version.content_hash == chash and (opened.explanation or None) == (draft.explanation or None)
    meta = (draft.subtest, draft.category, list(draft.tags), draft.difficulty)
    return same, meta == (item.subtest, item.category, list(item.tags or []), item.difficulty)


def _separate_names(
    session: Session, drafts: list[ItemDraft], hashes: dict[int, str], plain: dict[int, str],
    existing: dict[str, tuple[Item, ItemVersion]], report: ImportReport,
) -> None:  # fmt: skip
    """A named (not identified) draft whose name is taken by other content becomes a new item with a uid of its own."""
    moved: list[ItemDraft] = []
    for d in drafts:
        found = existing.get(d.uid)
        if d.explicit_uid or found is None or found[1].content_hash == hashes[id(d)]:
            continue
        old = d.uid
        d.uid = distinct_uid(old, plain[id(d)])  # as the parsers name it (formats/__init__.py)
        moved.append(d)
        report.warnings.append(
            Problem(
                d.source if f"[{old}]" in d.source else f"{d.source} [{old}]",
                _(
                    "the name %(name)s belongs to another item in the bank; this question is a new item %(uid)s "
                    "(only an identifier such as a Moodle idnumber updates an item)",
                    name=old,
                    uid=d.uid,
                ),
            )
        )
    if moved:
        existing.update(_current(session, [d.uid for d in moved]))


def import_items(
    session: Session,
    drafts: Iterable[ItemDraft],
    *,
    images: Mapping[str, tuple[str, bytes]] | None = None,
    progress: Callable[[int], None] | None = None,
    update: bool = True,
) -> ImportReport:
    """Store checked drafts: new uids become items, changed uids get a new version, identical ones are no-ops.

    Only a draft with an explicit identifier (``explicit_uid``) can change an existing item; a named one whose
    name is taken by other content becomes a new item. With ``update=False`` a change to an existing item is
    refused (``report.refused``) and nothing of it is stored. A draft whose content equals another item already
    in the bank (or earlier in this import) is a duplicate: reported, not stored. The caller owns the
    transaction (commit or roll back as a whole).
    """
    drafts = list(drafts)
    report = ImportReport()
    cipher = bank_seal.bank_cipher(session)
    assert cipher is not None
    lazy = LazyCipher(session, cipher)
    if images:
        report.images = store_images(session, images, cipher)
    now = clock.now()
    plain = {id(d): content_hash(d) for d in drafts}
    hashes = {key: cipher.fingerprint(h) for key, h in plain.items()}
    existing = _current(session, [d.uid for d in drafts])
    _separate_names(session, drafts, hashes, plain, existing, report)
    by_hash: dict[str, str] = {}
    wanted = list(set(hashes.values()))
    for chunk in _chunks(wanted):  # type: ignore[arg-type]
        rows = session.execute(
            select(ItemVersion.content_hash, Item.uid)
            .join(Item, _current_join())
            .where(ItemVersion.content_hash.in_(chunk))
        )
        for chash, uid in rows:
            by_hash.setdefault(chash, uid)
    creates: list[tuple[ItemDraft, str]] = []
    versions: list[tuple[int, int, ItemDraft, str]] = []
    for draft in drafts:
        chash = hashes[id(draft)]
        found = existing.get(draft.uid)
        if found is not None:
            item, version = found
            opened = _open_version(lazy, item, version, with_options=False)
            same, meta_same = _unchanged(item, version, opened, draft, chash)
            if same and meta_same:
                report.duplicates += 1
                report.unchanged += 1
                report.duplicate_details.append(
                    Problem(draft.source, _("%(uid)s is already in the bank unchanged", uid=draft.uid))
                )
                continue
            where = f"{draft.source} [{draft.uid}]" if draft.uid not in draft.source else draft.source
            summary = _change_summary(item, version, replace(opened, options=_open_options(lazy, version)), draft)
            if not update:
                report.refused.append(
                    Problem(
                        where,
                        _(
                            "already in the bank with other content (%(changes)s); import with --update to change it",
                            changes=summary,
                        ),
                    )
                )
                continue
            report.update_details.append(Problem(where, summary))
            item.subtest, item.category, item.tags, item.difficulty = (
                draft.subtest, draft.category, list(draft.tags), draft.difficulty,
            )  # fmt: skip
            if not same:
                item.current_version += 1
                versions.append((item.id, item.current_version, draft, chash))
                by_hash.setdefault(chash, draft.uid)
            report.updated += 1
        elif chash in by_hash and by_hash[chash] != draft.uid:
            report.duplicates += 1
            report.duplicate_details.append(
                Problem(draft.source, _("%(uid)s duplicates %(other)s", uid=draft.uid, other=by_hash[chash]))
            )
            continue
        else:
            creates.append((draft, chash))
            by_hash[chash] = draft.uid
            report.imported += 1
        report.by_subtest[draft.subtest] += 1
        report.by_difficulty[draft.difficulty or "-"] += 1
    _same_text_warnings(session, cipher, creates, report)
    session.flush()
    done = report.duplicates + len(report.refused)
    _insert_versions(session, cipher, versions, now)
    done += report.updated
    if progress is not None:
        progress(done)
    for i in range(0, len(creates), _BATCH):
        batch = creates[i : i + _BATCH]
        item_ids = session.scalars(
            insert(Item).returning(Item.id, sort_by_parameter_order=True),
            [
                {"uid": d.uid, "subtest": d.subtest, "category": d.category, "tags": list(d.tags),
                 "difficulty": d.difficulty, "current_version": 1, "created_at": now}
                for d, _h in batch
            ],
        ).all()  # fmt: skip
        _insert_versions(session, cipher, [(iid, 1, d, h) for iid, (d, h) in zip(item_ids, batch, strict=True)], now)
        done += len(batch)
        if progress is not None:
            progress(done)
    return report


@dataclass
class BankImport:
    """A whole file tried in the caller's transaction: what it stores, and whether it must be refused."""

    fmt: str
    items: list[ItemDraft]  # the valid drafts (what a preview shows)
    report: ImportReport
    refused: bool  # a problem without skip_invalid: the caller rolls back, nothing is stored
    total: int  # every item the file held, valid or not

    @property
    def valid(self) -> int:
        """Items that would be stored if the problems were skipped."""
        return len(self.items) - len(self.report.refused)


def try_import(
    session: Session, parsed: ParseResult, *, update: bool = False, skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
) -> BankImport:
    """Check a parsed file against the bank (media, duplicates, updates) and store it in the caller's transaction.

    The one import path of the CLI and the console: a preview or a refusal rolls back, a commit commits. Every
    problem (the parser's, missing media, updates without ``update``) is in ``report.problems`` at its place.
    """
    missing = check_media(session, parsed.items, parsed.images)
    parsed.problems.extend(p for _uid, p in missing)
    bad_uids = {uid for uid, _p in missing}  # the parser's refusals are already out of parsed.items
    if bad_uids:
        parsed.items = [d for d in parsed.items if d.uid not in bad_uids]
        parsed.rejected += len(bad_uids)
        parsed.images = used_images(parsed.items, parsed.images)
    total = len(parsed.items) + parsed.rejected
    report = import_items(session, parsed.items, images=parsed.images, progress=progress, update=update)
    report.skipped = parsed.rejected + len(report.refused)
    report.problems = parsed.problems + report.refused
    report.warnings = parsed.warnings + report.warnings
    refused = bool(report.problems) and not skip_invalid
    return BankImport(parsed.fmt, list(parsed.items), report, refused, total)


def retire_items(session: Session, uids: Iterable[str], *, retire: bool = True) -> list[str]:
    """Retire items (drawn no more; papers already issued keep them) or bring them back; the uids that changed."""
    uids = [u.strip() for u in uids if u.strip()]
    found = session.scalars(select(Item).where(Item.uid.in_(uids))).all()
    unknown = sorted(set(uids) - {i.uid for i in found})
    if unknown:
        raise AppError("unknown_item", _("No item %(uids)s in the bank.", uids=", ".join(unknown)), 404)
    changed = [i for i in found if (i.retired_at is None) == retire]
    for item in changed:
        item.retired_at = clock.now() if retire else None
    return sorted(i.uid for i in changed)


def retired_uids(session: Session) -> set[str]:
    """The uids of the retired items (the bank's listing marks them)."""
    return set(session.scalars(select(Item.uid).where(Item.retired_at.is_not(None))))


def load_pool(session: Session, subtests: Iterable[str] | None = None) -> list[PoolItem]:
    """The current version of every item in use (optionally of some subtests), ready for assembly; retired ones are
    left out."""
    q = select(ItemVersion.id, Item.subtest, Item.category, Item.difficulty, ItemVersion.kind)
    q = q.join(Item, _current_join()).where(Item.retired_at.is_(None))
    oq = select(Option.item_version_id, Option.id).join(ItemVersion, ItemVersion.id == Option.item_version_id)
    oq = oq.join(Item, _current_join()).where(Item.retired_at.is_(None))
    if subtests is not None:
        codes = list(subtests)
        q = q.where(Item.subtest.in_(codes))
        oq = oq.where(Item.subtest.in_(codes))
    options: dict[int, list[int]] = {}
    for vid, oid in session.execute(oq.order_by(Option.item_version_id, Option.position)):
        options.setdefault(vid, []).append(oid)
    return [
        PoolItem(vid, subtest, category, difficulty, tuple(options.get(vid, ())), kind)
        for vid, subtest, category, difficulty, kind in session.execute(q.order_by(ItemVersion.id))
    ]


def version_contents(session: Session, version_ids: Iterable[int]) -> dict[int, VersionContent]:
    """Texts and options (ids, texts, media in stored order) of the given versions — never their points."""
    ids = sorted(set(version_ids))
    opts: dict[int, list[tuple[int, str, list[dict[str, Any]]]]] = {}
    out: dict[int, VersionContent] = {}
    lazy = LazyCipher(session)
    for chunk in _chunks(ids):
        q = select(Option.item_version_id, Option.id, Option.text, Option.media, Option.sealed).where(
            Option.item_version_id.in_(chunk)
        )
        for vid, oid, text, media, sealed in session.execute(q.order_by(Option.item_version_id, Option.position)):
            opened = bank_seal.open_option(lazy, vid, oid, sealed)
            if opened is not None:
                text, media = opened["text"], opened["media"]
            opts.setdefault(vid, []).append((oid, text, list(media or [])))
        vq = select(
            ItemVersion.id, ItemVersion.text, ItemVersion.media, ItemVersion.kind, Item.subtest, ItemVersion.text_html,
            ItemVersion.sealed, Item.uid, ItemVersion.version,
        ).join(Item, Item.id == ItemVersion.item_id)  # fmt: skip
        for vid, text, media, kind, subtest, html, sealed, uid, number in session.execute(
            vq.where(ItemVersion.id.in_(chunk))
        ):
            if sealed is not None:
                v = lazy.get().open(bank_seal.version_aad(uid, number), sealed)
                text, media, html = v["text"], v["media"], v["html"]
            out[vid] = VersionContent(text, list(media or []), kind, subtest, opts.get(vid, []), html)
    return out


def option_points(session: Session, version_ids: Iterable[int]) -> dict[int, dict[int, float]]:
    """The key of the given versions, {version id: {option id: points}} — for scoring, server side only."""
    return bank_seal.option_points(session, version_ids)


def score_bounds(session: Session, version_ids: Iterable[int]) -> dict[int, tuple[float | None, float | None]]:
    """The (lower, upper) clamp of each version's score, for versions that have one (QTI mapping bounds)."""
    return bank_seal.score_bounds(session, version_ids)


def current_drafts(session: Session, subtests: Iterable[str] | None = None) -> list[ItemDraft]:
    """Every item's current version as a draft (for export), in uid order."""
    q = select(Item, ItemVersion).join(ItemVersion, _current_join()).options(selectinload(ItemVersion.options))
    if subtests is not None:
        q = q.where(Item.subtest.in_(list(subtests)))
    out: list[ItemDraft] = []
    lazy = LazyCipher(session)
    for item, version in session.execute(q.order_by(Item.uid)):
        out.append(_draft(item, version, _open_version(lazy, item, version)))
    return out


def _draft(item: Item, version: ItemVersion, opened: _Opened) -> ItemDraft:
    """A stored version as a draft (export, and the plain content ``bank encrypt`` fingerprints)."""
    return ItemDraft(
        uid=item.uid,
        subtest=item.subtest,
        text=opened.text,
        options=[OptionDraft(text, points, media) for text, points, media in opened.options],
        kind=version.kind,
        category=item.category,
        tags=list(item.tags or []),
        difficulty=item.difficulty,
        explanation=opened.explanation,
        media=opened.media,
        source=f"bank:{item.uid}@{version.version}",
        score_lower=version.score_lower,
        score_upper=version.score_upper,
        html=opened.html,
    )


DIFFICULTY_BANDS = (("mudah", 0.70), ("sedang", 0.30), ("sulit", 0.0))  # label, lowest proportion correct


def relabel_difficulty(
    session: Session, p_by_item: Mapping[int, float], bands: Sequence[tuple[str, float]] = DIFFICULTY_BANDS
) -> dict[str, int]:
    """Set each item's difficulty label from its measured p (item analysis), so blueprints draw by evidence."""
    ordered = sorted(bands, key=lambda b: b[1], reverse=True)
    counts: dict[str, int] = {label: 0 for label, _low in ordered}
    changed = 0
    for item in session.scalars(select(Item).where(Item.id.in_(list(p_by_item)))):
        p = p_by_item[item.id]
        label = next((name for name, low in ordered if p >= low), ordered[-1][0])
        counts[label] += 1
        if item.difficulty != label:
            item.difficulty = label
            changed += 1
    counts["changed"] = changed
    return counts


@dataclass
class EncryptReport:
    """What ``bank encrypt`` sealed: rows written before encryption at rest."""

    versions: int = 0
    options: int = 0
    images: int = 0


def encrypt_bank(session: Session) -> EncryptReport:
    """Seal every row written before encryption at rest and re-key its fingerprints (idempotent: sealed rows stay)."""
    cipher = bank_seal.bank_cipher(session)
    assert cipher is not None
    lazy = LazyCipher(session, cipher)
    report = EncryptReport()
    q = select(Item, ItemVersion).join(ItemVersion, Item.id == ItemVersion.item_id).where(ItemVersion.sealed.is_(None))
    q = q.options(selectinload(ItemVersion.options))
    for item, version in session.execute(q.order_by(ItemVersion.id)).all():
        opened = _open_version(lazy, item, version)
        draft = _draft(item, version, opened)
        version.content_hash = cipher.fingerprint(content_hash(draft))
        version.text_hash = cipher.fingerprint(text_hash(opened.text))
        version.sealed = cipher.seal(bank_seal.version_aad(item.uid, version.version), _version_payload(draft))
        version.text, version.explanation, version.text_html, version.media = "", None, None, []
        report.versions += 1
    for option in session.scalars(select(Option).where(Option.sealed.is_(None)).order_by(Option.id)).all():
        payload = {"text": option.text, "points": float(option.points or 0.0), "media": list(option.media or [])}
        option.sealed = cipher.seal(bank_seal.option_aad(option.item_version_id, option.id), payload)
        option.text, option.points, option.media = "", None, []
        report.options += 1
    for image in session.scalars(select(BankImage).order_by(BankImage.sha256)).all():
        if not bytes(image.data).startswith(bank_seal.IMAGE_PREFIX):
            image.data = cipher.seal_image(image.sha256, image.mime, bytes(image.data))
            report.images += 1
    session.flush()
    return report


def explanations(session: Session, version_ids: Iterable[int]) -> dict[int, str | None]:
    """The explanation (feedback) of the given versions, opened: for a practice exam's review after the paper is
    finished — never sent while a paper is open."""
    out: dict[int, str | None] = {}
    lazy = LazyCipher(session)
    q = select(Item, ItemVersion).join(Item, Item.id == ItemVersion.item_id)
    for chunk in _chunks(sorted(set(version_ids))):
        for item, version in session.execute(q.where(ItemVersion.id.in_(chunk))):
            out[version.id] = _open_version(lazy, item, version, with_options=False).explanation
    return out
