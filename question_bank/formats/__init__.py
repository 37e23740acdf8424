"""Reading and writing banks in every supported format, with whole-file checking and problems by place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ground.i18n import _
from question_bank.items import ItemDraft, check_draft, content_hash, distinct_uid

MAX_BANK_BYTES = 50 * 1024 * 1024  # a bank file larger than this is refused before parsing


class FormatError(Exception):
    """The file cannot be read at all in the chosen format (wrong format, broken syntax, too large)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong, with its place (file, row or line, item id); ``kind`` is invalid or unsupported."""

    location: str
    message: str
    kind: str = "invalid"

    def as_dict(self) -> dict[str, str]:
        return {"location": self.location, "message": self.message}


@dataclass
class ParseResult:
    """Valid drafts, the problems found (invalid or unsupported items), and warnings that do not block."""

    items: list[ItemDraft]
    problems: list[Problem] = field(default_factory=list)
    fmt: str = ""
    warnings: list[Problem] = field(default_factory=list)
    rejected: int = 0  # items (or blocks) that produced no valid draft: invalid or unsupported
    images: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # sha256 -> (mime, bytes)

    def problem(self, location: str, message: str, kind: str = "invalid") -> None:
        """Record an item that could not be read (counted as rejected)."""
        self.problems.append(Problem(location, message, kind))
        self.rejected += 1


@dataclass(frozen=True)
class ReadOptions:
    """What the file may not say itself: a default subtest, full marks per item, where relative images live."""

    subtest: str | None = None
    max_points: float = 5.0
    base_dir: Path | None = None
    max_image_bytes: int = 5 * 1024 * 1024
    max_media_bytes: int = 20 * 1024 * 1024  # one audio or video file (the whole file travels to the candidate)


Reader = Callable[[bytes, str, ReadOptions], ParseResult]


def _readers() -> dict[str, Reader]:
    from question_bank.formats import registry

    return registry.readers()


def detect_format(data: bytes, name: str = "") -> str:
    """Name the format: the extension first, content sniffing last (a template CSV never loses to GIFT)."""
    from question_bank.formats import registry

    return registry.detect(data, name)


def finish(result: ParseResult) -> ParseResult:
    """Check every draft (and duplicate uids in the file); invalid ones move from items to problems."""
    good: list[ItemDraft] = []
    seen: dict[str, str] = {}
    for draft in result.items:
        where = f"{draft.source} [{draft.uid}]" if draft.uid and draft.uid not in draft.source else draft.source
        bad = check_draft(draft)
        if draft.uid in seen and not draft.explicit_uid:
            name, chash, n = draft.uid, content_hash(draft), 1
            draft.uid = distinct_uid(name, chash)
            while draft.uid in seen:  # the same question again under the same name: a duplicate, reported later
                n += 1
                draft.uid = distinct_uid(f"{name[:110]}-{n}", chash)
            result.warnings.append(
                Problem(where, _("the name is used earlier in the file: stored as %(uid)s", uid=draft.uid), "notice")
            )
        if draft.uid in seen:
            bad.append(_("item id %(uid)r already used at %(where)s", uid=draft.uid, where=seen[draft.uid]))
        else:
            seen[draft.uid] = draft.source
        if bad:
            result.problems.extend(Problem(where, msg) for msg in bad)
            result.rejected += 1
        else:
            _formulas(draft, where, result)
            good.append(draft)
    result.items = good
    result.images = used_images(good, result.images)
    return result


def _formulas(draft: ItemDraft, where: str, result: ParseResult) -> None:
    """LaTeX in a plain stem becomes MathML (html); formulas it cannot convert, or outside the stem, are named."""
    from question_bank.formats.common import formulas, html_to_text, latex_html, latex_in_html, plain_only

    if draft.html is None:
        draft.html, failed = latex_html(draft.text)
    else:
        draft.html, done, failed = latex_in_html(draft.html)
        if done:  # the plain form of what is kept: the formula as TeX
            draft.text = html_to_text(draft.html)[0]
    for tex in failed:
        result.warnings.append(
            Problem(where, _("formula %(tex)r is not LaTeX this bank can render: kept as text", tex=tex), "notice")
        )
    for i, opt in enumerate(draft.options, 1):
        if formulas(opt.text):
            plain_only(result, where, _("option %(n)s", n=i), opt.text)
    if draft.explanation and formulas(draft.explanation):
        plain_only(result, where, _("explanation"), draft.explanation)


def used_images(items: list[ItemDraft], images: dict[str, tuple[str, bytes]]) -> dict[str, tuple[str, bytes]]:
    """Only the images valid items show: a refused item's pictures are never stored (--skip-invalid)."""
    used = {m.get("sha256") for d in items for m in d.all_media()}
    return {sha: img for sha, img in images.items() if sha in used}


def read_bytes(
    data: bytes,
    name: str,
    fmt: str | None = None,
    *,
    options: ReadOptions | None = None,
    max_bytes: int = MAX_BANK_BYTES,
) -> ParseResult:
    """Parse a whole bank held in memory; every item is checked before anything can be stored."""
    if len(data) > max_bytes:
        raise FormatError(
            _(
                "%(name)s: %(n)s bytes is over the limit of %(limit)s bytes",
                name=name,
                n=len(data),
                limit=max_bytes,
            )
        )
    fmt = fmt or detect_format(data, name)
    readers = _readers()
    if fmt not in readers:
        raise FormatError(_("unknown format %(fmt)r (known: %(list)s)", fmt=fmt, list=", ".join(sorted(readers))))
    result = readers[fmt](data, name, options or ReadOptions())
    result.fmt = fmt
    return finish(result)


def read_bank(
    path: str | Path,
    fmt: str | None = None,
    *,
    subtest: str | None = None,
    max_points: float = 5.0,
    max_bytes: int = MAX_BANK_BYTES,
) -> ParseResult:
    """Read and check a bank file; format from ``fmt`` or detected from the content."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FormatError(_("%(path)s: cannot be read (%(strerror)s)", path=path, strerror=exc.strerror)) from exc
    if size > max_bytes:
        raise FormatError(
            _(
                "%(name)s: %(size)s bytes is over the limit of %(limit)s bytes",
                name=path.name,
                size=size,
                limit=max_bytes,
            )
        )
    opts = ReadOptions(subtest=subtest, max_points=max_points, base_dir=path.resolve().parent)
    return read_bytes(path.read_bytes(), str(path), fmt, options=opts, max_bytes=max_bytes)
