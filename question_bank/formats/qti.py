"""IMS QTI 2.1 and 3.0: items and content packages in (choiceInteraction, correctResponse, mapResponse), 2.1 out."""

from __future__ import annotations

import html
import io
import posixpath
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element

from ground.config import write_private
from ground.i18n import _
from question_bank.formats import FormatError, ParseResult, Problem, ReadOptions
from question_bank.formats.common import (
    IMAGE_MIMES,
    PLAYER_MIMES,
    Found,
    ImageSink,
    file_loader,
    html_to_text,
    local,
    number,
    parse_xml,
    plain_only,
    player_kind,
    rich_html,
    tidy,
)
from question_bank.items import ItemDraft, OptionDraft

MAX_MEMBERS = 20_000
MAX_UNPACKED = 300 * 1024 * 1024
MAX_MEMBER = 25 * 1024 * 1024
QTI21_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
MAP_RESPONSE = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response"

UNSUPPORTED = {
    "textEntryInteraction": "short answer (textEntryInteraction)",
    "extendedTextInteraction": "essay (extendedTextInteraction)",
    "matchInteraction": "matching (matchInteraction)",
    "associateInteraction": "matching (associateInteraction)",
    "gapMatchInteraction": "matching (gapMatchInteraction)",
    "orderInteraction": "ordering (orderInteraction)",
    "inlineChoiceInteraction": "inline choice (inlineChoiceInteraction)",
    "hottextInteraction": "hot text (hottextInteraction)",
    "hotspotInteraction": "hotspot (hotspotInteraction)",
    "graphicGapMatchInteraction": "graphic matching (graphicGapMatchInteraction)",
    "selectPointInteraction": "select point (selectPointInteraction)",
    "sliderInteraction": "numeric slider (sliderInteraction)",
    "uploadInteraction": "file upload (uploadInteraction)",
    "drawingInteraction": "drawing (drawingInteraction)",
}
_BLOCK = {"p", "div", "br", "li", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote"}


def qname(el: Element) -> str:
    """QTI 3.0 ``qti-choice-interaction`` and 2.1 ``choiceInteraction`` both become ``choiceInteraction``."""
    n = local(el.tag)
    if n.startswith("qti-"):
        head, *rest = n[4:].split("-")
        n = head + "".join(p.capitalize() for p in rest)
    return n


def attr(el: Element, camel: str, default: str | None = None) -> str | None:
    """An attribute by its 2.1 name, or its 3.0 kebab-case twin."""
    if camel in el.attrib:
        return el.attrib[camel]
    kebab = re.sub(r"([A-Z])", lambda m: "-" + m.group(1).lower(), camel)
    return el.attrib.get(kebab, default)


def _children(el: Element, name: str) -> list[Element]:
    return [c for c in el if qname(c) == name]


FEEDBACK = ("feedbackBlock", "feedbackInline", "modalFeedback")  # shown after certain answers: never the stem
SOLUTION_VIEWS = {"scorer", "tutor"}  # a rubricBlock for these views is the worked solution: the explanation


def _for_candidate(el: Element) -> bool:
    """A rubricBlock is candidate text only when its view includes the candidate (else it is for staff)."""
    return "candidate" in (attr(el, "view") or "").split()


def _flow(text: str | None, pre: bool = False) -> str:
    """XHTML text as a browser shows it: a line break in the source is a space (except inside <pre>)."""
    return (text or "") if pre else re.sub(r"[ \t\r\n]+", " ", text or "")


def player_of(el: Element) -> tuple[str, str] | None:
    """(player, src) of an ``<audio>``, ``<video>`` or audio/video ``<object>`` (the item plays it), else None."""
    n = qname(el)
    src = el.get("src") or el.get("data") or el.get("href") or ""
    if n in ("audio", "video") and not src:
        src = next((s.get("src") or "" for s in el.iter() if qname(s) == "source"), "")
    kind = player_kind(n, el.get("type") or "", src)
    return (kind, src) if kind else None


def _walk_text(el: Element, skip: set[str], parts: list[str], images: list[Found], pre: bool = False) -> None:
    n = qname(el)
    if n in skip or n in FEEDBACK or (n == "rubricBlock" and not _for_candidate(el)):
        parts.append(_flow(el.tail, pre))
        return
    inside = pre or n == "pre"
    if n in _BLOCK:
        parts.append("\n")
    player = player_of(el)
    if n == "img" and el.get("src"):
        images.append((el.get("src") or "", el.get("alt") or "", ""))
    elif n == "object" and (el.get("type") or "").startswith("image/") and el.get("data"):
        images.append((el.get("data") or "", tidy("".join(el.itertext())), ""))
        parts.append(_flow(el.tail, pre))
        return
    elif n == "a" and player is not None:  # a link to a recording: kept as media, its text stays in the sentence
        images.append((player[1], tidy("".join(el.itertext())), player[0]))
    elif player is not None and player[1]:  # kept as media; its fallback text is its description, not the stem
        fallback = el.get("title") or tidy(" ".join(t for c in el if qname(c) != "source" for t in c.itertext()))
        images.append((player[1], fallback or tidy(el.text or ""), player[0]))
        parts.append(_flow(el.tail, pre))
        return
    parts.append(_flow(el.text, inside))
    for c in el:
        _walk_text(c, skip, parts, images, inside)
    if n in _BLOCK:
        parts.append("\n")
    parts.append(_flow(el.tail, pre))


def content(el: Element, skip: set[str] | None = None) -> tuple[str, list[Found]]:
    """Plain text of an element (block elements become line breaks) and the images, audio and video inside it."""
    parts: list[str] = [_flow(el.text)]
    images: list[Found] = []
    for child in el:
        _walk_text(child, skip or set(), parts, images)
    return tidy("".join(parts)), images


def markup_of(el: Element, skip: set[str] | None = None) -> str:
    """The HTML of an element's content as a candidate sees it (no feedback, staff rubrics, images, interactions)."""
    out = [html.escape(el.text or "", quote=False)]
    for c in el:
        n = qname(c)
        hidden = n in (skip or set()) or n in FEEDBACK or n in ("img", "object", "audio", "video")
        if n == "rubricBlock" and _for_candidate(c):
            out.append(markup_of(c, skip))
        elif not hidden and n != "rubricBlock":
            name = local(c.tag)
            attrs = "".join(f' {local(k)}="{html.escape(v)}"' for k, v in c.attrib.items())
            out.append(f"<{name}{attrs}>{markup_of(c, skip)}</{name}>")
        out.append(html.escape(c.tail or "", quote=False))
    return "".join(out)


class _ToElements(HTMLParser):
    """Sanitized HTML back into elements: HTML names in the QTI namespace, MathML in its own."""

    VOID = {"br", "hr", "col", "mspace", "none", "mprescripts", "img"}

    def __init__(self, root: Element, ns: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack = [root]
        self.ns = ns
        self.math = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.math += tag == "math"
        el = ET.SubElement(self.stack[-1], f"{{{MATHML_NS if self.math else self.ns}}}{tag}", {
            k: v or "" for k, v in attrs
        })  # fmt: skip
        if tag not in self.VOID:
            self.stack.append(el)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID or len(self.stack) == 1:
            return
        self.stack.pop()
        self.math -= tag == "math"

    def handle_data(self, data: str) -> None:
        parent = self.stack[-1]
        if len(parent):
            parent[-1].tail = (parent[-1].tail or "") + data
        else:
            parent.text = (parent.text or "") + data


def _interactions(el: Element) -> list[Element]:
    return [e for e in el.iter() if qname(e).endswith("Interaction")]


def parse_item(
    root: Element, where: str, sink: ImageSink, opts: ReadOptions, meta: dict[str, Any], result: ParseResult
) -> None:
    """One assessmentItem (2.1 or 3.0) into a draft, or a problem saying why not."""
    if qname(root) != "assessmentItem":
        result.problem(where, _("root element is <%(local)s>, expected an assessment item", local=local(root.tag)))
        return
    ident = attr(root, "identifier") or ""
    uid = meta.get("uid") or ident
    where = f"{where} [{uid}]" if uid else where
    body = next(iter(_children(root, "itemBody")), None)
    if body is None:
        result.problem(where, _("item has no itemBody"))
        return
    found = _interactions(body)
    names = [qname(e) for e in found]
    odd = [n for n in names if n != "choiceInteraction"]
    if odd:
        what = UNSUPPORTED.get(odd[0], odd[0])
        result.problem(where, _("%(what)s questions cannot be delivered", what=what), "unsupported")
        return
    if len(found) != 1:
        if not found:
            msg = _("no choiceInteraction: only one choice interaction per item can be delivered")
        else:
            msg = _(
                "%(n)s interactions in one item: only one choice interaction per item can be delivered", n=len(found)
            )
        result.problem(where, msg, "unsupported")
        return
    players: list[str] = []
    for el in body.iter():
        n = qname(el)
        src = el.get("src") or el.get("data") or el.get("href") or ""
        player = player_of(el)
        if player is not None and player[1]:
            continue  # kept: stored like an image, played on the candidate's page
        if n in ("audio", "video", "iframe", "embed") or (
            n == "object" and not (el.get("type") or "").startswith("image/")
        ):
            players.append(f"<{n}> {src!r}" if src else f"<{n}>")
        elif n == "a" and src:
            result.warnings.append(
                Problem(where, _("link %(href)r dropped: its text is kept, the link is not", href=src), "notice")
            )
    if players:
        result.problem(
            where,
            _(
                "%(what)s cannot be delivered: text, images, audio and video files are kept with an item",
                what=", ".join(players),
            ),
            "unsupported",
        )
        return
    inter = found[0]
    rid = attr(inter, "responseIdentifier") or "RESPONSE"
    decl = next((d for d in _children(root, "responseDeclaration") if attr(d, "identifier") == rid), None)
    if decl is None:
        result.problem(where, _("no responseDeclaration for %(rid)r", rid=rid))
        return
    cardinality = attr(decl, "cardinality", "single")
    correct = [tidy(v.text or "") for c in _children(decl, "correctResponse") for v in _children(c, "value")]
    mapping: dict[str, float] = {}
    default = 0.0
    bounds: list[float | None] = [None, None]
    for m in _children(decl, "mapping"):
        default = number(attr(m, "defaultValue", "0")) or 0.0
        for i, name in enumerate(("lowerBound", "upperBound")):
            raw = attr(m, name)
            if raw is not None:
                bounds[i] = number(raw)
                if bounds[i] is None:
                    result.problem(where, _("mapping %(name)s %(raw)r is not a number", name=name, raw=raw))
                    return
        for e in _children(m, "mapEntry"):
            val = number(attr(e, "mappedValue"))
            if val is None:
                result.problem(where, _("mapEntry %(attr)r has no numeric mappedValue", attr=attr(e, "mapKey")))
                return
            mapping[attr(e, "mapKey") or ""] = val
    choices = [c for c in inter.iter() if qname(c) == "simpleChoice"]
    ids = [attr(c, "identifier") or "" for c in choices]
    if not mapping and not correct:
        result.problem(where, _("no correctResponse and no mapping: the item has no key"))
        return
    unknown = [k for k in list(mapping) + correct if k not in ids]
    if unknown:
        result.problem(
            where, _("key refers to %(unknown)r, which is not a simpleChoice identifier", unknown=unknown[0])
        )
        return
    try:
        stem, stem_imgs = content(body, {"choiceInteraction"})
        prompt = next(iter(_children(inter, "prompt")), None)
        if prompt is not None:
            ptext, pimgs = content(prompt)
            stem = "\n".join(t for t in (stem, ptext) if t)
            stem_imgs += pimgs
        media = [sink.resolve(src, alt, player) for src, alt, player in stem_imgs]
        markup = markup_of(body, {"choiceInteraction"})
        if prompt is not None:
            markup += f"<p>{markup_of(prompt)}</p>"
        rich = rich_html(markup)
        if rich:  # the plain form of exactly what is kept, so every format reads the same text
            stem = html_to_text(rich)[0]
        options = []
        per_correct = opts.max_points / max(1, len(correct)) if cardinality == "multiple" else opts.max_points
        for c, cid in zip(choices, ids, strict=True):
            ctext, cimgs = content(c, {"feedbackInline"})
            if any(qname(e) in ("table", "math") for e in c.iter()):
                ctext = html_to_text(markup_of(c))[0]
                plain_only(result, where, _("option %(n)s", n=len(options) + 1), ctext)
            pts = mapping.get(cid, default) if mapping else (per_correct if cid in correct else 0.0)
            options.append(OptionDraft(ctext, pts, [sink.resolve(src, alt, player) for src, alt, player in cimgs]))
    except ValueError as exc:
        result.problem(where, _("media: %(exc)s", exc=exc))
        return
    solutions = [
        content(r)[0]
        for r in body.iter()
        if qname(r) == "rubricBlock"
        and (SOLUTION_VIEWS & set((attr(r, "view") or "").split()) or attr(r, "use") == "scoring")
        and not _for_candidate(r)
    ]
    explanation = "\n".join(t for t in solutions if t) or None
    for fb in root.iter():
        if qname(fb) in FEEDBACK and tidy("".join(fb.itertext())):
            result.warnings.append(
                Problem(
                    f"{where} {qname(fb)} {attr(fb, 'identifier') or ''}".rstrip(),
                    _(
                        "conditional feedback %(text)r dropped: it is shown only after certain answers (the review "
                        "explanation comes from a rubricBlock for scorers)",
                        text=tidy(" ".join(fb.itertext()))[:60],
                    ),
                    "notice",
                )
            )
    kind = meta.get("kind") or ("multiple" if cardinality == "multiple" else "single")
    if cardinality not in ("single", "multiple"):
        result.problem(
            where, _("response cardinality %(cardinality)r cannot be delivered", cardinality=cardinality), "unsupported"
        )
        return
    result.items.append(
        ItemDraft(
            uid=uid,
            subtest=meta.get("subtest") or opts.subtest or "",
            text=stem,
            options=options,
            kind=kind,
            category=meta.get("category"),
            tags=list(meta.get("tags", [])),
            difficulty=meta.get("difficulty"),
            explanation=explanation,
            media=media,
            source=where.split(" [")[0],
            score_lower=bounds[0],
            score_upper=bounds[1],
            html=rich,
        )
    )


def _manifest_meta(res: Element) -> dict[str, Any]:
    """``subtest:``, ``category:``, ``difficulty:``, ``kind:``, ``uid:`` and ``tag:`` keywords in a resource's LOM."""
    meta: dict[str, Any] = {"tags": []}
    for kw in res.iter():
        if local(kw.tag) != "keyword":
            continue
        for s in kw.iter():
            text = tidy(s.text or "")
            m = re.match(r"^(subtest|category|difficulty|kind|uid|tag)\s*:\s*(.+)$", text)
            if m:
                if m.group(1) == "tag":
                    meta["tags"].append(m.group(2))
                else:
                    meta[m.group(1)] = m.group(2)
    return meta


def _open_zip(data: bytes, name: str) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise FormatError(_("%(name)s: damaged zip (%(exc)s)", name=name, exc=exc)) from exc
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise FormatError(
            _(
                "%(name)s: %(n)s files in the package, over the limit of %(limit)s",
                name=name,
                n=len(infos),
                limit=MAX_MEMBERS,
            )
        )
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED:
        raise FormatError(
            _(
                "%(name)s: unpacks to %(total)s bytes, over the limit of %(limit)s",
                name=name,
                total=total,
                limit=MAX_UNPACKED,
            )
        )
    return zf


def _member(zf: zipfile.ZipFile, path: str) -> bytes | None:
    try:
        info = zf.getinfo(path)
    except KeyError:
        return None
    if info.file_size > MAX_MEMBER:
        raise ValueError(
            _(
                "%(path)s is %(size)s bytes, over the limit of %(limit)s",
                path=path,
                size=info.file_size,
                limit=MAX_MEMBER,
            )
        )
    return zf.read(info)


def read_package(data: bytes, name: str, opts: ReadOptions) -> ParseResult:
    """A content package: the manifest's QTI item resources, with their metadata and images."""
    zf = _open_zip(data, name)
    names = zf.namelist()
    manifest_path = (
        "imsmanifest.xml"
        if "imsmanifest.xml" in names
        else next((n for n in names if n.lower().endswith("imsmanifest.xml")), None)
    )
    if manifest_path is None:
        raise FormatError(_("%(name)s: no imsmanifest.xml in the package", name=name))
    base = posixpath.dirname(manifest_path)
    manifest = parse_xml(zf.read(manifest_path), f"{name}!{manifest_path}")
    result = ParseResult(items=[])
    resources = [r for r in manifest.iter() if local(r.tag) == "resource"]
    items = [r for r in resources if (r.get("type") or "").startswith("imsqti_item")]
    if not items:
        tests = [r for r in resources if (r.get("type") or "").startswith("imsqti_test")]
        raise FormatError(
            f"{name}: the manifest lists no QTI item resources"
            + (" (only tests; items must be listed as resources too)" if tests else "")
        )
    for res in items:
        href = res.get("href") or next((f.get("href") for f in res if local(f.tag) == "file"), None)
        where = f"{name}!{href or res.get('identifier')}"
        if not href:
            result.problem(where, _("item resource has no href"))
            continue
        path = posixpath.normpath(posixpath.join(base, href))
        try:
            raw = _member(zf, path)
        except ValueError as exc:
            result.problem(where, str(exc))
            continue
        if raw is None:
            result.problem(where, _("file %(href)r named in the manifest is missing from the package", href=href))
            continue
        try:
            root = parse_xml(raw, where)
        except FormatError as exc:
            result.problem(where, str(exc).split(": ", 1)[-1])
            continue
        item_dir = posixpath.dirname(path)

        def loader(src: str, item_dir: str = item_dir) -> bytes | None:
            return _member(zf, posixpath.normpath(posixpath.join(item_dir, src.split("?")[0])))

        parse_item(root, where, ImageSink(result, opts, loader), opts, _manifest_meta(res), result)
    return result


def read_qti(data: bytes, name: str, opts: ReadOptions) -> ParseResult:
    """A QTI 2.1/3.0 item file or a content package (zip with imsmanifest.xml)."""
    if data.startswith(b"PK\x03\x04"):
        return read_package(data, name, opts)
    root = parse_xml(data, name)
    if qname(root) in ("assessmentTest",):
        raise FormatError(
            _("%(name)s: an assessment test refers to item files; import the content package (.zip)", name=name)
        )
    result = ParseResult(items=[])
    sink = ImageSink(result, opts, file_loader(opts.base_dir, max(opts.max_image_bytes, opts.max_media_bytes)))
    parse_item(root, name, sink, opts, {"tags": []}, result)
    return result


# ---------------------------------------------------------------- export (QTI 2.1 content package)


def _ncname(s: str, prefix: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.-]", "_", s)
    return s if re.match(r"^[A-Za-z_]", s) else f"{prefix}{s}"


def _choice_id(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else f"C{i + 1}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _paragraphs(parent: Element, text: str, tag: str = "p") -> None:
    for line in text.split("\n") if text else []:
        ET.SubElement(parent, tag).text = line


def _img(parent: Element, media: dict[str, Any], tag: str) -> str | None:
    """An ``<img>`` for a bank image under ``parent`` (audio or video: an ``<object>`` of its type, which QTI 2.1
    allows and every reader plays); returns the package path of the file."""
    sha = media.get("sha256")
    if not sha:
        return None
    mime = media.get("mime", "")
    if mime in PLAYER_MIMES:
        href = f"media/{sha}.{PLAYER_MIMES[mime]}"
        ET.SubElement(parent, tag.replace("}img", "}object"), type=mime, data=f"../{href}").text = media.get("alt")
        return href
    href = f"images/{sha}.{IMAGE_MIMES.get(mime, 'png')}"
    ET.SubElement(parent, tag, src=f"../{href}", alt=media.get("alt", ""))
    return href


def item_xml(d: ItemDraft) -> tuple[bytes, list[str]]:
    """One QTI 2.1 assessmentItem for ``d`` and the package paths of the images it uses."""
    ET.register_namespace("", QTI21_NS)
    ET.register_namespace("xsi", XSI_NS)
    ET.register_namespace("m", MATHML_NS)
    q = f"{{{QTI21_NS}}}"
    root = Element(
        f"{q}assessmentItem",
        {
            f"{{{XSI_NS}}}schemaLocation": f"{QTI21_NS} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd",
            "identifier": _ncname(d.uid, "I_"),
            "title": d.uid,
            "adaptive": "false",
            "timeDependent": "false",
        },
    )
    ids = [_choice_id(i) for i in range(len(d.options))]
    multiple = d.kind == "multiple"
    decl = ET.SubElement(
        root,
        f"{q}responseDeclaration",
        identifier="RESPONSE",
        cardinality="multiple" if multiple else "single",
        baseType="identifier",
    )
    best = max(o.points for o in d.options)
    keys = [i for i, o in zip(ids, d.options, strict=True) if (o.points > 0 if multiple else o.points == best)]
    cr = ET.SubElement(decl, f"{q}correctResponse")
    for k in keys:
        ET.SubElement(cr, f"{q}value").text = k
    limits = {"lowerBound": d.score_lower, "upperBound": d.score_upper}
    # every choice is mapped (an unmapped default was folded into the option's points on import), so 0 is exact
    mapping = ET.SubElement(
        decl, f"{q}mapping", {k: _num(v) for k, v in limits.items() if v is not None}, defaultValue="0"
    )
    for i, o in zip(ids, d.options, strict=True):
        ET.SubElement(mapping, f"{q}mapEntry", mapKey=i, mappedValue=_num(o.points), caseSensitive="true")
    out = ET.SubElement(root, f"{q}outcomeDeclaration", identifier="SCORE", cardinality="single", baseType="float")
    ET.SubElement(ET.SubElement(out, f"{q}defaultValue"), f"{q}value").text = "0"
    body = ET.SubElement(root, f"{q}itemBody")
    images: list[str] = []
    if d.html:  # tables and formulas as they are kept (QTI's XHTML subset and MathML)
        builder = _ToElements(body, QTI21_NS)
        builder.feed(d.html)
        builder.close()
    else:
        for line in d.text.split("\n"):
            ET.SubElement(body, f"{q}p").text = line
    for m in d.media:
        href = _img(ET.SubElement(body, f"{q}p"), m, f"{q}img")
        if href:
            images.append(href)
    inter = ET.SubElement(
        body,
        f"{q}choiceInteraction",
        responseIdentifier="RESPONSE",
        shuffle="false" if d.kind == "truefalse" else "true",
        maxChoices="0" if multiple else "1",
    )
    for i, o in zip(ids, d.options, strict=True):
        ch = ET.SubElement(inter, f"{q}simpleChoice", identifier=i)
        first, *more = o.text.split("\n")
        ch.text = first
        for line in more:  # a line break inside an option survives as <br/> (source line breaks are spaces)
            ET.SubElement(ch, f"{q}br").tail = line
        for m in o.media:
            href = _img(ch, m, f"{q}img")
            if href:
                images.append(href)
    if d.explanation:  # the worked solution, for scorers: never shown to candidates by a delivery engine
        _paragraphs(ET.SubElement(body, f"{q}rubricBlock", view="scorer"), d.explanation, f"{q}p")
    ET.SubElement(root, f"{q}responseProcessing", template=MAP_RESPONSE)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True), images


def _manifest(entries: list[tuple[ItemDraft, str, list[str]]], images: set[str]) -> bytes:
    ET.register_namespace("", CP_NS)
    ET.register_namespace("imsmd", LOM_NS)
    ET.register_namespace("xsi", XSI_NS)
    c, md = f"{{{CP_NS}}}", f"{{{LOM_NS}}}"
    root = Element(
        f"{c}manifest",
        {
            "identifier": "MANIFEST-exam-engine",
            f"{{{XSI_NS}}}schemaLocation": (
                f"{CP_NS} http://www.imsglobal.org/xsd/qti/qtiv2p1/qtiv2p1_imscpv1p2_v1p0.xsd "
                f"{LOM_NS} http://www.imsglobal.org/xsd/imsmd_loose_v1p3p2.xsd"
            ),
        },
    )
    meta = ET.SubElement(root, f"{c}metadata")
    ET.SubElement(meta, f"{c}schema").text = "QTIv2.1 Package"
    ET.SubElement(meta, f"{c}schemaversion").text = "1.0.0"
    ET.SubElement(root, f"{c}organizations")
    resources = ET.SubElement(root, f"{c}resources")
    img_ids = {h: "IMG-" + Path(h).stem for h in sorted(images)}
    for d, href, imgs in entries:
        res = ET.SubElement(
            resources, f"{c}resource", identifier="RES-" + _ncname(d.uid, "I_"), type="imsqti_item_xmlv2p1", href=href
        )
        general = ET.SubElement(ET.SubElement(ET.SubElement(res, f"{c}metadata"), f"{md}lom"), f"{md}general")
        ident = ET.SubElement(general, f"{md}identifier")
        ET.SubElement(ident, f"{md}catalog").text = "exam-engine"
        ET.SubElement(ident, f"{md}entry").text = d.uid
        words = [f"uid:{d.uid}", f"subtest:{d.subtest}", f"kind:{d.kind}"]
        words += [f"category:{d.category}"] if d.category else []
        words += [f"difficulty:{d.difficulty}"] if d.difficulty else []
        words += [f"tag:{t}" for t in d.tags]
        for w in words:
            ET.SubElement(ET.SubElement(general, f"{md}keyword"), f"{md}string").text = w
        ET.SubElement(res, f"{c}file", href=href)
        for h in dict.fromkeys(imgs):
            ET.SubElement(res, f"{c}dependency", identifierref=img_ids[h])
    for h, rid in img_ids.items():
        res = ET.SubElement(resources, f"{c}resource", identifier=rid, type="webcontent", href=h)
        ET.SubElement(res, f"{c}file", href=h)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def write_package(items: list[ItemDraft], path: str | Path, images: dict[str, bytes] | None = None) -> None:
    """Export a QTI 2.1 content package: imsmanifest.xml, one item file per item, and the images they use."""
    entries: list[tuple[ItemDraft, str, list[str]]] = []
    used: set[str] = set()
    seen: set[str] = set()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for d in items:
            name = _ncname(d.uid, "I_")
            while name in seen:
                name += "_"
            seen.add(name)
            href = f"items/{name}.xml"
            xml, imgs = item_xml(d)
            zf.writestr(href, xml)
            entries.append((d, href, imgs))
            used.update(imgs)
        for h in sorted(used):
            sha = Path(h).stem
            if images is None or sha not in images:
                raise ValueError(_("image %(sha)s used by the bank is missing from the image store", sha=sha))
            zf.writestr(h, images[sha])
        zf.writestr("imsmanifest.xml", _manifest(entries, used))
    write_private(Path(path), out.getvalue())
