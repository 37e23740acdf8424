"""Reading and writing banks in every supported format, with whole-file checking and problems by place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from question_bank.items import ItemDraft, check_draft

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


Reader = Callable[[bytes, str], ParseResult]


def _readers() -> dict[str, Reader]:
    from question_bank.formats import json_format

    readers: dict[str, Reader] = {"json": json_format.read_json}
    try:  # phase-2 formats register here as they land
        from question_bank.formats import registry

        readers.update(registry.READERS)
    except ImportError:
        pass
    return readers


def detect_format(data: bytes, name: str = "") -> str:
    """Name the format from the content (the file name is only a tie-breaker)."""
    try:
        from question_bank.formats import registry

        return registry.detect(data, name)
    except ImportError:
        pass
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return "json"
    raise FormatError(f"{name or 'file'}: format not recognised; give --format")


def finish(result: ParseResult) -> ParseResult:
    """Check every draft (and duplicate uids in the file); invalid ones move from items to problems."""
    good: list[ItemDraft] = []
    seen: dict[str, str] = {}
    for draft in result.items:
        where = f"{draft.source} [{draft.uid}]" if draft.uid else draft.source
        bad = check_draft(draft)
        if draft.uid in seen:
            bad.append(f"item id {draft.uid!r} already used at {seen[draft.uid]}")
        else:
            seen[draft.uid] = draft.source
        if bad:
            result.problems.extend(Problem(where, msg) for msg in bad)
        else:
            good.append(draft)
    result.items = good
    return result


def read_bytes(data: bytes, name: str, fmt: str | None = None, *, max_bytes: int = MAX_BANK_BYTES) -> ParseResult:
    """Parse a whole bank held in memory; every item is checked before anything can be stored."""
    if len(data) > max_bytes:
        raise FormatError(f"{name}: {len(data)} bytes is over the limit of {max_bytes} bytes")
    fmt = fmt or detect_format(data, name)
    readers = _readers()
    if fmt not in readers:
        raise FormatError(f"unknown format {fmt!r} (known: {', '.join(sorted(readers))})")
    result = readers[fmt](data, name)
    result.fmt = fmt
    return finish(result)


def read_bank(path: str | Path, fmt: str | None = None, *, max_bytes: int = MAX_BANK_BYTES) -> ParseResult:
    """Read and check a bank file; format from ``fmt`` or detected from the content."""
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise FormatError(f"{path.name}: {size} bytes is over the limit of {max_bytes} bytes")
    return read_bytes(path.read_bytes(), str(path), fmt, max_bytes=max_bytes)
