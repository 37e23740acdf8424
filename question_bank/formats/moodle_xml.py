"""Moodle XML quizzes: multichoice and truefalse with categories, tags, images; other types named, not dropped."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any
from xml.etree.ElementTree import Element

from ground.i18n import _
from question_bank.formats import FormatError, ParseResult, Problem, ReadOptions
from question_bank.formats.common import (
    ImageSink,
    explanation_media,
    has_structure,
    html_to_text,
    number,
    parse_xml,
    plain_only,
    plugin_file,
    rich_html,
    tidy,
    unkept_content,
)
from question_bank.formats.gift import category_path
from question_bank.items import ItemDraft, OptionDraft

UNSUPPORTED = {
    "shortanswer": "short answer", "essay": "essay", "matching": "matching", "numerical": "numeric",
    "calculated": "calculated", "calculatedsimple": "calculated", "calculatedmulti": "calculated multichoice",
    "multianswer": "embedded answers (cloze)", "ddwtos": "drag and drop into text", "ddimageortext": "drag and drop",
    "ddmarker": "drag and drop markers", "gapselect": "select missing words", "randomsamatch": "random matching",
    "description": "description (no answers)", "ordering": "ordering",
}  # fmt: skip
_DIFFICULTY_TAG = re.compile(r"^(difficulty|kesulitan|tingkat)\s*[:=]\s*(.+)$", re.I)


def _text(el: Element | None, path: str = "text") -> str:
    if el is None:
        return ""
    node = el.find(path)
    return (node.text or "") if node is not None else ""


def _rich(
    field: Element | None, sink: ImageSink, where: str = "", part: str | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Plain text, images, audio and video of a Moodle text field (``<text>`` plus embedded ``<file>`` elements).

    ``part`` names a field other than the stem (an option, the explanation): a table or formula there is
    reported as kept in plain text only.
    """
    if field is None:
        return "", []
    unkept, links = unkept_content(_text(field))
    if unkept:
        raise ValueError(
            _(
                "%(what)s cannot be delivered: text, images, audio and video files are kept with an item",
                what=", ".join(unkept),
            )
        )
    for href in links:
        sink.result.warnings.append(
            Problem(where, _("link %(href)r dropped: its text is kept, the link is not", href=href), "notice")
        )
    files: dict[str, bytes] = {}
    for f in field.findall("file"):
        if (f.get("encoding") or "base64") != "base64":
            raise ValueError(
                _("file %(name)r has unsupported encoding %(encoding)r", name=f.get("name"), encoding=f.get("encoding"))
            )
        try:
            files[f.get("name") or ""] = base64.b64decode("".join((f.text or "").split()), validate=True)
        except binascii.Error as exc:
            raise ValueError(_("file %(name)r is not valid base64", name=f.get("name"))) from exc
    raw = _text(field)
    fmt = field.get("format", "html")
    if fmt in ("html", "moodle_auto_format", "markdown") and ("<" in raw or "&" in raw):
        text, imgs = html_to_text(raw, newlines=fmt != "html")
    else:
        text, imgs = (html_to_text(raw)[0] if fmt == "html" else tidy(raw)), []
    if part and has_structure(raw):
        plain_only(sink.result, where, part, text)
    sink.loader = lambda src: files.get(plugin_file(src))
    media = [sink.resolve(src, alt, player) for src, alt, player in imgs]
    return text, media


def question_lines(data: bytes, count: int) -> list[int]:
    """The line of each ``<question>`` start tag (ElementTree keeps none), or [] when comments make it unsure."""
    text = re.sub(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>", lambda m: b"\n" * m.group(0).count(b"\n"), data, flags=re.S)
    starts = [text.count(b"\n", 0, m.start()) + 1 for m in re.finditer(rb"<question[\s>]", text)]
    return starts if len(starts) == count else []


def read_moodle_xml(data: bytes, name: str, opts: ReadOptions) -> ParseResult:
    """Read a Moodle XML export (safely parsed); each question located by its position, name and id number."""
    root = parse_xml(data, name)
    if root.tag != "quiz":
        raise FormatError(_("%(name)s: root element is <%(tag)s>, expected <quiz>", name=name, tag=root.tag))
    result = ParseResult(items=[])
    sink = ImageSink(result, opts)
    subtest, category = opts.subtest, None
    questions = root.findall("question")
    lines = question_lines(data, len(questions))
    for n, q in enumerate(questions, 1):
        qtype = q.get("type", "")
        if qtype == "category":
            sub, cat = category_path(_text(q.find("category")))
            subtest, category = sub or opts.subtest, cat
            continue
        qname = tidy(_text(q.find("name")))
        idnumber = tidy(q.findtext("idnumber") or "")
        uid = idnumber or qname
        where = (f"{name}:{lines[n - 1]}: question {n}" if lines else f"{name}: question {n}") + (
            f" [{uid}]" if uid else ""
        )
        if qtype in UNSUPPORTED:
            result.problem(
                where,
                _(
                    "%(kind)s questions (%(qtype)s) cannot be delivered",
                    kind=UNSUPPORTED[qtype],
                    qtype=qtype,
                ),
                "unsupported",
            )
            continue
        if qtype not in ("multichoice", "truefalse"):
            result.problem(where, _("unknown question type %(qtype)r", qtype=qtype), "unsupported")
            continue
        try:
            text, media = _rich(q.find("questiontext"), sink, where)
            qfield = q.find("questiontext")
            html = rich_html(_text(qfield)) if qfield is not None and qfield.get("format", "html") == "html" else None
            if html:  # the plain form of exactly what is kept, so every format reads the same text
                text = html_to_text(html)[0]
            legacy = "".join((q.findtext("image_base64") or "").split())
            if legacy:  # Moodle 1.9: the question's picture beside the text, <image> naming it
                try:
                    picture = base64.b64decode(legacy, validate=True)
                except binascii.Error as exc:
                    raise ValueError(_("image_base64 is not valid base64")) from exc
                label = tidy(q.findtext("image") or "") or "image_base64"
                try:
                    media.append(sink.add(picture))
                except ValueError as exc:
                    raise ValueError(_("%(src)r: %(reason)s", src=label, reason=exc)) from exc
            general, dropped = _rich(q.find("generalfeedback"), sink, where, _("explanation"))
            explanation = general or None
            explanation_media(result, where, dropped)
            options: list[OptionDraft] = []
            for i, a in enumerate(q.findall("answer"), 1):
                frac = number(a.get("fraction", "0"))
                if frac is None or not -100 <= frac <= 100:
                    raise ValueError(
                        _("answer fraction %(fraction)r is not a number in -100..100", fraction=a.get("fraction"))
                    )
                atext, amedia = _rich(a, sink, where, _("option %(n)s", n=i))
                if qtype == "truefalse":
                    atext = {"true": "Benar", "false": "Salah"}.get(atext.strip().lower(), atext)
                options.append(OptionDraft(atext, frac / 100.0 * opts.max_points, amedia))
        except ValueError as exc:
            result.problem(where, str(exc))
            continue
        for fb in [a.find("feedback") for a in q.findall("answer")] + [
            q.find(f) for f in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback")
        ]:
            if fb is not None and tidy(_text(fb)):
                result.warnings.append(
                    Problem(
                        where,
                        _(
                            "conditional feedback %(text)r dropped: it is shown only after certain answers (the "
                            "review explanation is the general feedback)",
                            text=tidy(html_to_text(_text(fb))[0])[:60],
                        ),
                        "notice",
                    )
                )
        tags, difficulty = [], None
        for t in q.findall("tags/tag"):
            tag = tidy(_text(t))
            m = _DIFFICULTY_TAG.match(tag)
            if m:
                difficulty = m.group(2).strip()
            elif tag:
                tags.append(tag)
        kind = "truefalse" if qtype == "truefalse" else "single"
        if qtype == "multichoice" and (q.findtext("single") or "true").strip().lower() in ("false", "0"):
            kind = "multiple"
        # Moodle grades a multiple-response answer within 0..100 % of the mark (negative fractions never go below 0)
        lower, upper = (0.0, float(opts.max_points)) if kind == "multiple" else (None, None)
        result.items.append(
            ItemDraft(
                uid, subtest or "", text, options, kind, category, tags, difficulty, explanation, media, where,
                explicit_uid=bool(idnumber), score_lower=lower, score_upper=upper, html=html,
            )
        )  # fmt: skip
    if not root.findall("question"):
        raise FormatError(_("%(name)s: the <quiz> holds no <question> elements", name=name))
    return result
