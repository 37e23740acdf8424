"""Helpers every format shares: safe XML, HTML to plain text, and images gathered into the bank."""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from ground.i18n import _
from question_bank.formats import FormatError, ParseResult, Problem, ReadOptions

IMAGE_MIMES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
PLAYER_MIMES = {
    "audio/mpeg": "mp3", "audio/wav": "wav", "audio/ogg": "oga", "audio/mp4": "m4a", "audio/webm": "weba",
    "video/mp4": "mp4", "video/webm": "webm", "video/ogg": "ogv",
}  # fmt: skip
MEDIA_FILE = re.compile(r"\.(mp3|wav|ogg|oga|m4a|aac|flac|mp4|m4v|webm|ogv|mov|avi|mkv)(\?.*)?$", re.I)
VIDEO_FILE = re.compile(r"\.(mp4|m4v|webm|ogv|mov|avi|mkv)(\?.*)?$", re.I)
Found = tuple[str, str, str]  # (src, alt, player): player is "" for an image, else "audio" or "video"


def player_kind(tag: str, mime: str, src: str) -> str | None:
    """``audio`` or ``video`` when an element plays a recording, ``""`` for an image object, else None: one rule
    for QTI, Moodle XML and GIFT, so the same markup is kept (or refused) whichever format carries it."""
    tag, mime = tag.lower(), (mime or "").lower()
    if tag in ("audio", "video"):
        return tag
    if tag == "a":  # a link to a recording is how Moodle's media filter shows a player: keep the recording
        return ("video" if VIDEO_FILE.search(src) else "audio") if MEDIA_FILE.search(src) else None
    if tag != "object":
        return None
    if mime.startswith(("audio/", "video/")):
        return mime.split("/", 1)[0]
    if mime.startswith("image/"):
        return ""
    if not mime and MEDIA_FILE.search(src):
        return "video" if VIDEO_FILE.search(src) else "audio"
    return None


def utf8_text(data: bytes, name: str) -> str:
    """The file as text (a BOM is dropped); a FormatError naming the byte when it is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(
            _(
                "%(name)s: not UTF-8 text (%(reason)s at byte %(start)s); save it as UTF-8",
                name=name,
                reason=exc.reason,
                start=exc.start,
            )
        ) from exc


def sniff_image(data: bytes) -> str | None:
    """The MIME type of a raster image from its magic bytes (SVG is refused: it can carry scripts)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def sniff_player(data: bytes, video: bool) -> str | None:
    """The MIME type of audio or video from its bytes (MP3, WAV, Ogg, MP4/M4A, WebM); ``video``: the item plays it
    in a ``<video>`` (a container such as Ogg or WebM holds either)."""
    kind = "video" if video else "audio"
    if data.startswith(b"ID3") or (len(data) > 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0 and data[1] & 0x06):
        return "audio/mpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data.startswith(b"OggS"):
        return f"{kind}/ogg"
    if data[4:8] == b"ftyp":
        return "audio/mp4" if data[8:11] == b"M4A" else f"{kind}/mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return f"{kind}/webm"
    return None


class ImageSink:
    """Collects a file's images, audio and video into ``result.images`` and hands back the media entry items refer
    to (all stored alike: sealed in the bank by hash, served only for a started paper that shows them)."""

    def __init__(self, result: ParseResult, opts: ReadOptions, loader: Callable[[str], bytes | None] | None = None):
        self.result = result
        self.opts = opts
        self.loader = loader  # reads a relative path (a package member, a file next to the bank)

    def add_player(self, data: bytes, alt: str = "", video: bool = False) -> dict[str, Any]:
        """Store audio or video bytes; raises ValueError (with the reason) if they are too large or of no known kind."""
        if len(data) > self.opts.max_media_bytes:
            raise ValueError(
                _(
                    "audio or video is %(n)s bytes, over the limit of %(limit)s",
                    n=len(data),
                    limit=self.opts.max_media_bytes,
                )
            )
        mime = sniff_player(data, video)
        if mime is None:
            raise ValueError(_("not an MP3, WAV, Ogg, MP4/M4A or WebM file"))
        return self._keep(data, mime, alt)

    def _keep(self, data: bytes, mime: str, alt: str) -> dict[str, Any]:
        sha = hashlib.sha256(data).hexdigest()
        self.result.images[sha] = (mime, data)
        media: dict[str, Any] = {"src": f"bank:{sha}", "sha256": sha, "mime": mime}
        if alt:
            media["alt"] = alt
        return media

    def add(self, data: bytes, alt: str = "") -> dict[str, Any]:
        """Store image bytes (or audio/video bytes: a JSON file's data: URI); ValueError with the reason otherwise."""
        if sniff_player(data, False) is not None:
            return self.add_player(data, alt)
        if len(data) > self.opts.max_image_bytes:
            raise ValueError(
                _(
                    "image is %(n)s bytes, over the limit of %(limit)s",
                    n=len(data),
                    limit=self.opts.max_image_bytes,
                )
            )
        mime = sniff_image(data)
        if mime is None and b"<svg" in data[:4096].lower():
            raise ValueError(_("an SVG image is refused (it can carry scripts); use PNG, JPEG, GIF or WebP"))
        if mime is None:
            raise ValueError(_("not a PNG, JPEG, GIF or WebP image"))
        return self._keep(data, mime, alt)

    def resolve(self, src: str, alt: str = "", player: str = "") -> dict[str, Any]:
        """A media entry for ``src``: a data: URI, a bank:<sha256> reference, or a relative path; ``player``:
        ``audio`` or ``video`` when the item plays it (else it must be an image)."""
        src = src.strip()
        if src.startswith("bank:"):
            sha = src[5:]
            if not re.fullmatch(r"[0-9a-f]{64}", sha):
                raise ValueError(_("bad bank image reference %(src)r", src=src))
            media: dict[str, Any] = {"src": src, "sha256": sha}
            if alt:
                media["alt"] = alt
            return media
        if src.startswith("data:"):
            head, _sep, payload = src.partition(",")
            if ";base64" not in head:
                raise ValueError(_("data: URI images must be base64-encoded"))
            try:
                data = base64.b64decode(payload, validate=False)
            except binascii.Error as exc:
                raise ValueError(_("broken base64 in data: URI (%(exc)s)", exc=exc)) from exc
            try:
                return self.add(data, alt)
            except ValueError as exc:
                raise ValueError(_("data: URI image (%(head)s): %(reason)s", head=head[5:], reason=exc)) from exc
        if re.match(r"^[a-z][a-z0-9+.-]*://", src, re.I):
            raise ValueError(_("remote file %(src)r is not fetched; put the file in the bank or package", src=src))
        data = self.loader(src) if self.loader else None
        if data is None:
            raise ValueError(_("file %(src)r not found", src=src))
        try:
            return self.add_player(data, alt, player == "video") if player else self.add(data, alt)
        except ValueError as exc:  # say which file: an item may have several images
            raise ValueError(_("%(src)r: %(reason)s", src=src, reason=exc)) from exc


def plugin_file(src: str) -> str:
    """The file name a Moodle reference means (``@@PLUGINFILE@@/a%20b.mp3?time=1`` → ``a b.mp3``)."""
    return re.sub(r"^@@PLUGINFILE@@/", "", src).split("?")[0].replace("%20", " ")


def file_loader(base_dir: Path | None, limit: int) -> Callable[[str], bytes | None]:
    """Read images, audio and video next to a bank file, never outside its folder (``limit``: the larger cap)."""

    def load(rel: str) -> bytes | None:
        if base_dir is None:
            return None
        path = (base_dir / rel).resolve()
        if base_dir.resolve() not in path.parents or not path.is_file():
            return None
        if path.stat().st_size > limit:
            raise ValueError(_("file %(rel)r is over the limit of %(limit)s bytes", rel=rel, limit=limit))
        return path.read_bytes()

    return load


class _TextExtractor(HTMLParser):
    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "pre"}

    def __init__(self, newlines: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.images: list[Found] = []  # images, audio and video in document order
        self.unkept: list[str] = []  # what no item can carry (an iframe, an embed, a recording with no file)
        self.links: list[str] = []
        self.player: list[str] | None = None  # [tag, src, title, kind] of the open audio/video/object
        self.fallback: list[str] = []  # its fallback text: the recording's description, never the stem
        self.link: tuple[str, int, str] | None = None  # (href, first part, kind) of an open link to a recording
        self.newlines = newlines  # True: a line break in the source is a line break (Moodle auto-format)
        self.pre = 0
        self.math: list[list[Any]] = []  # open MathML elements: [tag, children seen]
        self.closers: list[str] = []
        self.math_at, self.tex, self.block = 0, None, False  # where a formula starts, its TeX annotation

    # MathML layout as plain text: (parent, child index) -> what goes before and after that child
    _MATH = {
        ("msup", 2): ("\x00sup\x00", "\x00end\x00"), ("msub", 2): ("\x00sub\x00", "\x00end\x00"),
        ("msubsup", 2): ("\x00sub\x00", "\x00end\x00"), ("msubsup", 3): ("\x00sup\x00", "\x00end\x00"),
        ("mfrac", 1): ("(", ")/"), ("mfrac", 2): ("(", ")"), ("mroot", 1): ("√(", ")"),
        ("mroot", 2): ("\x00sup\x00", "\x00end\x00"),
    }  # fmt: skip
    _VOID = {"br", "img", "hr", "col", "mspace", "none", "mprescripts", "input", "meta", "link", "source", "wbr"}

    def _tex_start(self, tag: str, a: dict[str, str]) -> None:
        if tag == "math" and not self.math:
            self.math_at, self.tex, self.block = len(self.parts), None, a.get("display") == "block"
        if tag == "annotation" and a.get("encoding") == "application/x-tex":
            self.tex = ""

    def _tex_end(self) -> None:
        if self.tex is not None and self.tex.strip():  # the formula as it was written: $…$ (block: $$…$$)
            mark = "$$" if self.block else "$"
            del self.parts[self.math_at :]
            self.parts.append(f"{mark}{self.tex.strip()}{mark}")
        self.tex = None

    def _math_open(self, tag: str) -> None:
        if self.math:
            parent = self.math[-1]
            parent[1] += 1
            before, after = self._MATH.get((parent[0], parent[1]), ("", ""))
            self.parts.append(before)
            self.closers.append(after)
        else:
            self.closers.append("")
        if tag == "msqrt":
            self.parts.append("√(")
        self.math.append([tag, 0])

    def _math_close(self, tag: str) -> None:
        while self.math:
            name, _n = self.math.pop()
            if name == "msqrt":
                self.parts.append(")")
            self.parts.append(self.closers.pop())
            if name == tag:
                break

    def _player_start(self, tag: str, a: dict[str, str]) -> bool:
        """Open an audio, video or object element (True): what is inside is its fallback, not the stem."""
        if self.player is not None:
            if tag == "source" and not self.player[1]:
                self.player[1] = a.get("src", "")
            return True
        src = a.get("src") or a.get("data") or ""
        kind = player_kind(tag, a.get("type", ""), src)
        if tag in ("iframe", "embed") or (tag == "object" and kind is None):
            self.unkept.append(f"<{tag}> {src!r}" if src else f"<{tag}>")
            return False
        if kind is None:
            return False
        self.player, self.fallback = [tag, src, a.get("title", ""), kind], []
        return True

    def finish_player(self) -> None:
        """Close the open audio, video or object: kept with its description, or unkept when it names no file."""
        if self.player is None:
            return
        tag, src, title, kind = self.player
        self.player = None
        if src:
            self.images.append((src, title or tidy(" ".join(self.fallback)), kind))
        else:
            self.unkept.append(f"<{tag}>")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if self._player_start(tag, a):
            return
        kind = player_kind(tag, "", a.get("href", "")) if tag == "a" else None
        if kind:  # its text stays in the sentence and describes the recording
            self.link = (a["href"], len(self.parts), kind)
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "math" or (self.math and tag in MATHML_TAGS):
            self._tex_start(tag, a)
            self._math_open(tag)
            if tag in self._VOID:
                self._math_close(tag)
            return
        if tag == "pre":
            self.pre += 1
        if tag in ("sup", "sub"):
            self.parts.append(f"\x00{tag}\x00")
        if tag in self.BLOCK:
            self.parts.append("\n")
        if tag == "img" and a.get("src"):
            self.images.append((a["src"], a.get("alt", ""), ""))
        if tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self.player is not None:
            if tag == self.player[0]:
                self.finish_player()
            return
        if tag == "a" and self.link is not None:
            href, start, kind = self.link
            self.images.append((href, tidy(scripts("".join(self.parts[start:]))), kind))
            self.link = None
        if self.math and tag in MATHML_TAGS:
            self._math_close(tag)
            if not self.math:
                self._tex_end()
            return
        if tag == "pre" and self.pre:
            self.pre -= 1
        if tag in ("sup", "sub"):
            self.parts.append("\x00end\x00")
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.player is not None:
            self.fallback.append(data)
            return
        if self.tex is not None and self.math and self.math[-1][0] == "annotation":
            self.tex += data
            return
        if self.math:  # whitespace between MathML tokens means nothing
            data = data.strip()
        elif not self.newlines and not self.pre:  # in HTML a line break in the source is only a space
            data = re.sub(r"[ \t\r\n]+", " ", data)
        self.parts.append(data)


def _parsed(markup: str, newlines: bool = False) -> _TextExtractor:
    parser = _TextExtractor(newlines)
    parser.feed(markup)
    parser.close()
    parser.finish_player()  # a recording left open at the end of the fragment
    parser.handle_endtag("a")
    return parser


def html_to_text(markup: str, newlines: bool = False) -> tuple[str, list[Found]]:
    """Plain text (paragraphs kept as line breaks) and the (src, alt, player) of every image, audio and video.

    A line break in the source is a space, as a browser shows it (``newlines=True`` keeps it: Moodle auto-format).
    """
    if "<" not in markup and not newlines:
        markup = re.sub(r"[ \t\r\n]+", " ", markup)
    if "<" not in markup and "&" not in markup:
        return tidy(markup), []
    if "<" not in markup:
        return tidy(html.unescape(markup)), []
    parser = _parsed(markup, newlines)
    return tidy(scripts("".join(parser.parts))), parser.images


def unkept_content(markup: str) -> tuple[list[str], list[str]]:
    """What an item cannot carry, read by the same parser that keeps images, audio and video (one rule).

    Returns (unkept, links): iframes, embeds, other objects and recordings that name no file (a problem at the
    item's place), and the links whose text alone is kept (a warning).
    """
    if "<" not in (markup or ""):
        return [], []
    parser = _parsed(markup)
    return parser.unkept, parser.links


_HTML_TAGS = {
    "p", "br", "div", "span", "b", "strong", "i", "em", "sub", "sup", "small", "ul", "ol", "li", "pre",
    "code", "blockquote", "hr", "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
}  # fmt: skip
MATHML_TAGS = {
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub",
    "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle",
    "mpadded", "mphantom", "menclose", "mfenced", "merror", "mmultiscripts", "mprescripts", "none",
}  # fmt: skip
_HTML_ATTRS = {
    "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"}, "col": {"span"}, "colgroup": {"span"},
    "math": {"display"}, "mi": {"mathvariant"}, "mn": {"mathvariant"}, "mtext": {"mathvariant"},
    "mo": {"stretchy", "fence", "separator", "form", "lspace", "rspace", "accent", "largeop", "movablelimits"},
    "mstyle": {"displaystyle", "scriptlevel", "mathvariant"}, "mfrac": {"linethickness"}, "menclose": {"notation"},
    "mover": {"accent"}, "munder": {"accentunder"}, "munderover": {"accent", "accentunder"},
    "mtd": {"columnspan", "rowspan"}, "annotation": {"encoding"}, "mspace": {"width", "height", "depth"},
    "mfenced": {"open", "close", "separators"},
}  # fmt: skip
_STRUCTURE = re.compile(r"<(table|math)\b", re.I)
_INLINE = {"b", "strong", "i", "em", "sub", "sup", "small", "span", "code", "math"}
_TIGHT = "|".join(sorted((_HTML_TAGS | MATHML_TAGS) - _INLINE))
_AROUND_BLOCK = re.compile(rf"\s*(</?(?:{_TIGHT})\b[^>]*>)\s*")


def sanitize_html(markup: str) -> str:
    """Markup reduced to safe structure (text blocks, tables, MathML; no scripts, styles, links or images), canonical.

    Canonical: whitespace runs are one space and none is kept around block or MathML tags, so the same content
    read from any format (or from our own export) gives the same string.
    """
    import nh3  # compiled; imported here so formats without HTML never load it

    clean = nh3.clean(markup, tags=_HTML_TAGS | MATHML_TAGS, attributes=_HTML_ATTRS, strip_comments=True)
    clean = re.sub(r"\s+", " ", clean)
    clean = _AROUND_BLOCK.sub(r"\1", clean)
    clean = re.sub(r"<p>\s*</p>", "", clean)
    return clean.strip()


_FORMULA = re.compile(
    r"\\\((?P<a>.+?)\\\)|\\\[(?P<b>.+?)\\\]|\$\$(?P<c>.+?)\$\$|(?<![\\$\w])\$(?!\s)(?P<d>[^$\n]+?)(?<!\s)\$(?!\w)",
    re.S,
)
_TEX_HINT = re.compile(r"\\[A-Za-z]+|[\^_{}]")


def formulas(text: str) -> list[re.Match[str]]:
    """LaTeX formulas in plain text: \\(…\\), \\[…\\], $$…$$, and $…$ that reads as TeX (not a price: $5)."""
    return [m for m in _FORMULA.finditer(text or "") if _TEX_HINT.search(next(g for g in m.groups() if g))]


def _latex_fragment(text: str) -> tuple[str, int, list[str]]:
    """Plain text as escaped HTML with each convertible formula as MathML: (fragment, formulas converted, failed)."""
    import latex2mathml.converter  # imported here: only texts with formulas need it

    failed: list[str] = []
    out: list[str] = []
    pos = done = 0
    for m in formulas(text):
        tex = next(g for g in m.groups() if g).strip()
        block = m.group("b") is not None or m.group("c") is not None
        out.append(html.escape(text[pos : m.start()], quote=False))
        pos = m.end()
        try:
            mathml = latex2mathml.converter.convert(tex, display="block" if block else "inline")
        except Exception:  # noqa: BLE001 - the converter raises many kinds for broken TeX
            mathml = ""
        inner = re.sub(r"^<math[^>]*>|</math>$", "", mathml)
        if not inner or re.search(r"<mi>\\[A-Za-z]", inner):
            failed.append(m.group(0))
            out.append(html.escape(m.group(0), quote=False))
            continue
        done += 1
        out.append(
            f'<math display="{"block" if block else "inline"}"><semantics>{inner}'
            f'<annotation encoding="application/x-tex">{html.escape(tex, quote=False)}</annotation></semantics></math>'
        )
    out.append(html.escape(text[pos:], quote=False))
    return "".join(out), done, failed


def latex_html(text: str) -> tuple[str | None, list[str]]:
    """The text as HTML with each LaTeX formula as MathML (its TeX kept as an annotation), rendered here, no CDN.

    Returns (None, []) when the text has no formula; formulas that cannot be converted stay text, and are named.
    """
    if not formulas(text):
        return None, []
    fragment, done, failed = _latex_fragment(text)
    if not done:
        return None, failed
    paragraphs = "".join(f"<p>{line}</p>" for line in fragment.split("\n") if line.strip())
    return sanitize_html(paragraphs) or None, failed


def latex_in_html(markup: str) -> tuple[str, int, list[str]]:
    """LaTeX written in the text of sanitized HTML (MathJax style, e.g. beside a table) rendered to MathML too."""
    parts = re.split(r"(<[^>]+>)", markup)
    depth = done = 0
    failed: list[str] = []
    for i, part in enumerate(parts):
        if part.startswith("<"):
            depth += part.startswith("<math") - part.startswith("</math")
        elif depth == 0 and formulas(html.unescape(part)):
            parts[i], n, bad = _latex_fragment(html.unescape(part))
            done, failed = done + n, failed + bad
    return (sanitize_html("".join(parts)) if done else markup), done, failed


def has_structure(markup: str) -> bool:
    """True when a fragment holds a table or MathML (kept as HTML only in the question's stem)."""
    return bool(markup and _STRUCTURE.search(markup))


def plain_only(result: ParseResult, where: str, part: str, text: str) -> None:
    """Say that a table or formula outside the stem (an option, the explanation) is kept as plain text only."""
    result.warnings.append(
        Problem(
            where,
            _(
                "%(part)s: a table or formula is kept as plain text only (%(text)r)",
                part=part,
                text=" ".join(text.split())[:80],
            ),
            "notice",
        )
    )


def explanation_media(result: ParseResult, where: str, media: list[dict[str, Any]]) -> None:
    """Say that pictures or recordings in an explanation are not kept: the post-exam review shows its text only."""
    if media:
        what = ", ".join(m.get("mime") or m.get("src", "") for m in media)
        result.warnings.append(
            Problem(where, _("explanation: %(what)s dropped: the review shows its text only", what=what), "notice")
        )


def rich_html(markup: str) -> str | None:
    """The sanitized HTML of a fragment whose structure plain text would lose (a table, MathML), else None."""
    return sanitize_html(markup) or None if markup and _STRUCTURE.search(markup) else None


_SUP = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
_SUB = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
_SCRIPT = re.compile(r"\x00(sup|sub)\x00(.*?)\x00end\x00", re.S)


def scripts(text: str) -> str:
    """Superscripts and subscripts survive as plain text: 2<sup>5</sup> → 2⁵, H<sub>2</sub>O → H₂O, else ^(x)/_(x)."""

    def one(m: re.Match[str]) -> str:
        kind, inner = m.group(1), m.group(2)
        table, chars, mark = (_SUP, "0123456789+-=()n", "^") if kind == "sup" else (_SUB, "0123456789+-=()", "_")
        if inner and all(c in chars for c in inner):
            return inner.translate(table)
        return f"{mark}({inner})" if inner else ""

    return _SCRIPT.sub(one, text).replace("\x00", "")


def tidy(text: str) -> str:
    """Collapse runs of spaces and blank lines: paragraphs become single line breaks; trim."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", ln).strip() for ln in text.split("\n")]
    return "\n".join(ln for ln in lines if ln)


def parse_xml(data: bytes, name: str) -> Element:
    """Parse XML with entity expansion and external entities forbidden (defusedxml)."""
    try:
        return SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise FormatError(
            _(
                "%(name)s: refused unsafe XML (%(error)s: entities or DTDs are not allowed)",
                name=name,
                error=type(exc).__name__,
            )
        ) from exc
    except SafeET.ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        raise FormatError(
            _("%(name)s:%(line)s:%(col)s: invalid XML: %(exc)s", name=name, line=line, col=col, exc=exc)
        ) from exc


def local(tag: str) -> str:
    """An element or attribute name without its namespace."""
    return tag.rsplit("}", 1)[-1] if "}" in tag else tag


def number(text: Any) -> float | None:
    """A number from a cell or attribute (decimal comma allowed), or None."""
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, int | float):
        return float(text)
    s = str(text).strip().replace(",", ".")
    if not s:
        return None
    try:
        return float(s)
    except ValueError:
        return None
