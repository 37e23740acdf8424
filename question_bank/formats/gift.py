"""Moodle GIFT: titles, categories, escapes, comments, weights; unsupported question types named, not dropped."""

from __future__ import annotations

import re
from typing import Any

from ground.i18n import _
from question_bank.formats import ParseResult, Problem, ReadOptions
from question_bank.formats.common import (
    ImageSink,
    explanation_media,
    file_loader,
    html_to_text,
    plugin_file,
    rich_html,
    tidy,
    unkept_content,
    utf8_text,
)
from question_bank.items import ItemDraft, OptionDraft, text_hash

_ESCAPABLE = "~=#{}:\\"
_WEIGHT = re.compile(r"^%(-?\d+(?:[.,]\d+)?)%")
_SKIP_CATS = {"$course$", "$system$", "$module$", "$coursecategory$", "top"}


def category_path(raw: str) -> tuple[str | None, str | None]:
    """Subtest and category from a Moodle category path such as ``$course$/top/TWK/Pancasila``."""
    parts = [p.strip() for p in raw.strip().split("/") if p.strip()]
    parts = [p for p in parts if p.lower() not in _SKIP_CATS and not p.lower().startswith("default for")]
    if not parts:
        return None, None
    return parts[0], "/".join(parts[1:]) or None


def _unescape(s: str) -> str:
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n in _ESCAPABLE:
                out.append(n)
                i += 2
                continue
            if n == "n":
                out.append("\n")
                i += 2
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _find_unescaped(s: str, chars: str, start: int = 0) -> int:
    i = start
    while i < len(s):
        if s[i] == "\\":
            i += 2
            continue
        if s[i] in chars:
            return i
        i += 1
    return -1


def _split_answers(block: str) -> tuple[list[tuple[str, str]], str | None]:
    """``(marker, text)`` pairs (marker ``=`` or ``~``) from an answer block, and its general feedback."""
    general = None
    gf = block.find("####")
    if gf >= 0:
        general, block = block[gf + 4 :], block[:gf]
    answers: list[tuple[str, str]] = []
    i = _find_unescaped(block, "=~")
    if i < 0:
        return [], general
    head = block[:i].strip()
    if head:
        answers.append(("?", head))
    while i >= 0:
        j = _find_unescaped(block, "=~", i + 1)
        seg = block[i + 1 : j] if j >= 0 else block[i + 1 :]
        answers.append((block[i], seg))
        i = j
    return answers, general


class _Block:
    def __init__(self, text: str, line: int) -> None:
        self.text = text
        self.line = line


def _blocks(text: str) -> list[_Block]:
    """Questions separated by blank lines; ``//`` comment lines dropped; line numbers kept."""
    blocks: list[_Block] = []
    cur: list[str] = []
    start = 0
    depth = 0
    for n, line in enumerate(text.split("\n"), 1):
        if line.lstrip().startswith("//") and depth == 0:
            continue
        if not line.strip() and depth == 0:
            if cur:
                blocks.append(_Block("\n".join(cur), start))
                cur = []
            continue
        if not cur:
            start = n
        cur.append(line)
        # track braces so a blank line inside an answer block does not split the question
        stripped = re.sub(r"\\.", "", line)
        depth = max(0, depth + stripped.count("{") - stripped.count("}"))
    if cur:
        blocks.append(_Block("\n".join(cur), start))
    return blocks


def _fmt_text(raw: str, fmt: str, sink: ImageSink) -> tuple[str, list[dict[str, Any]]]:
    """Text and media of a GIFT text: pictures and recordings are markup, so only ``[html]`` text carries them."""
    text = _unescape(raw)
    if fmt != "html":
        found = html_to_text(text)[1] if "<" in text else []
        if found:  # shown as literal markup by this format: never a silent loss
            raise ValueError(_("%(src)r: images, audio and video are read only from [html] text", src=found[0][0]))
        return tidy(text), []
    plain, found = html_to_text(text)
    return plain, [sink.resolve(src, alt, player) for src, alt, player in found]


def _explanation(raw: str, fmt: str, result: ParseResult, where: str) -> str | None:
    """The general feedback as text; its pictures or recordings are named as dropped (the review shows text)."""
    raw = raw.strip()
    m = re.match(r"^\[(html|moodle|plain|markdown)\]", raw)
    if m:  # its own format, as Moodle reads it
        fmt, raw = m.group(1), raw[m.end() :]
    text, found = html_to_text(_unescape(raw)) if fmt == "html" else (tidy(_unescape(raw)), [])
    explanation_media(result, where, [{"src": src} for src, _alt, _kind in found])
    return text or None


def _feedback_dropped(result: ParseResult, where: str, text: str) -> None:
    """Answer feedback (``#…``) is shown only after that answer: say it is not kept, never fold it into the item."""
    result.warnings.append(
        Problem(
            where,
            _(
                "conditional feedback %(text)r dropped: it is shown only after certain answers (the review "
                "explanation is the general feedback ####)",
                text=" ".join(text.split())[:60],
            ),
            "notice",
        )
    )


def read_gift(data: bytes, name: str, opts: ReadOptions) -> ParseResult:
    """Read a GIFT file (UTF-8)."""
    text = utf8_text(data, name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    result = ParseResult(items=[])
    load = file_loader(opts.base_dir, max(opts.max_image_bytes, opts.max_media_bytes))
    sink = ImageSink(result, opts, lambda src: load(plugin_file(src)))  # next to the .gift file, when given
    subtest, category = opts.subtest, None
    for block in _blocks(text):
        where = f"{name}:{block.line}"
        body = block.text.strip()
        if body.startswith("$CATEGORY:"):
            first, _sep, rest = body.partition("\n")
            sub, cat = category_path(first[len("$CATEGORY:") :])
            subtest, category = sub or opts.subtest, cat
            body = rest.strip()
            if not body:
                continue
        title = None
        if body.startswith("::"):
            end = body.find("::", 2)
            if end < 0:
                result.problem(where, _("title starts with :: but never ends"))
                continue
            title = _unescape(body[2:end]).strip()
            body = body[end + 2 :].lstrip()
            where = f"{where} [{title}]"
        if "<" in body:
            unkept, links = unkept_content(_unescape(body))
            if unkept:
                result.problem(
                    where,
                    _(
                        "%(what)s cannot be delivered: text, images, audio and video files are kept with an item",
                        what=", ".join(unkept),
                    ),
                    "unsupported",
                )
                continue
            for href in links:
                result.warnings.append(
                    Problem(where, _("link %(href)r dropped: its text is kept, the link is not", href=href), "notice")
                )
        fmt = "moodle"
        m = re.match(r"^\[(html|moodle|plain|markdown)\]", body)
        if m:
            fmt, body = m.group(1), body[m.end() :]
        open_at = _find_unescaped(body, "{")
        if open_at < 0:
            result.problem(where, _("description (no answer block) is not a deliverable question"), "unsupported")
            continue
        close_at = _find_unescaped(body, "}", open_at)
        if close_at < 0:
            result.problem(where, _("answer block opened with { is never closed"))
            continue
        if _find_unescaped(body, "{", close_at + 1) >= 0:
            result.problem(where, _("more than one answer block (embedded answers/cloze)"), "unsupported")
            continue
        before, block_raw, after = body[:open_at], body[open_at + 1 : close_at], body[close_at + 1 :]
        stem = before.rstrip() + (" _____ " + after.lstrip() if after.strip() else "")
        try:
            question, media = _fmt_text(stem, fmt, sink)
        except ValueError as exc:
            result.problem(where, _("media: %(exc)s", exc=exc))
            continue
        html = rich_html(_unescape(stem)) if fmt == "html" else None
        if html:
            question = html_to_text(html)[0]
        inner = block_raw.strip()
        inner_fmt = fmt
        m = re.match(r"^\[(html|moodle|plain|markdown)\]", inner)
        if m:
            inner_fmt, inner = m.group(1), inner[m.end() :].strip()
        uid = title or "gift-" + text_hash(question)[:12]
        explanation = None
        kind_name = None
        if inner == "":
            kind_name = "essay"
        elif inner.startswith("#"):
            kind_name = "numerical"
        if kind_name:
            result.problem(
                where,
                _(
                    "%(kind_name)s questions cannot be delivered (multiple choice and true/false only)",
                    kind_name=kind_name,
                ),
                "unsupported",
            )
            continue
        tf = re.match(r"^(T|F|TRUE|FALSE)\b(.*)$", inner, re.S | re.I)
        if tf and _find_unescaped(inner, "=~") < 0:
            truth = tf.group(1).upper().startswith("T")
            rest = tf.group(2)
            gf = rest.find("####")
            if gf >= 0:
                explanation = _explanation(rest[gf + 4 :], inner_fmt, result, where)
            conditional = _unescape(rest[: gf if gf >= 0 else len(rest)]).strip("# \n")
            if conditional:
                _feedback_dropped(result, where, conditional)
            mp = opts.max_points
            options = [OptionDraft("Benar", mp if truth else 0.0), OptionDraft("Salah", 0.0 if truth else mp)]
            result.items.append(
                ItemDraft(
                    uid,
                    subtest or "",
                    question,
                    options,
                    "truefalse",
                    category,
                    explanation=explanation,
                    media=media,
                    source=where,
                    explicit_uid=False,
                    html=html,
                )  # fmt: skip
            )
            continue
        answers, general = _split_answers(inner)
        if general is not None:
            explanation = _explanation(general, inner_fmt, result, where)
        if not answers or answers[0][0] == "?":
            result.problem(where, _("answer block has text that is not an answer (start answers with = or ~)"))
            continue
        if any("->" in a for _, a in answers):
            result.problem(where, _("matching questions cannot be delivered"), "unsupported")
            continue
        if all(marker == "=" for marker, _ in answers):
            result.problem(where, _("short-answer questions cannot be delivered"), "unsupported")
            continue
        options, weights, bad = [], [], None
        for marker, raw in answers:
            fb = _find_unescaped(raw, "#")
            if fb >= 0 and _unescape(raw[fb + 1 :]).strip():
                _feedback_dropped(result, where, _unescape(raw[fb + 1 :]))
            raw = raw[:fb] if fb >= 0 else raw
            raw = raw.strip()
            answer_fmt = inner_fmt
            w = _WEIGHT.match(raw)
            if w:
                weight = float(w.group(1).replace(",", "."))
                raw = raw[w.end() :]
            else:
                weight = 100.0 if marker == "=" else 0.0
            if abs(weight) > 100:
                bad = _("answer weight %(weight)s%% is outside -100..100", weight=format(weight, "g"))
            raw = raw.strip()
            fm = re.match(r"^\[(html|moodle|plain|markdown)\]", raw)
            if fm:
                answer_fmt, raw = fm.group(1), raw[fm.end() :]
            weights.append(weight)
            try:
                otext, omedia = _fmt_text(raw, answer_fmt, sink)
            except ValueError as exc:
                otext, omedia, bad = "", [], _("media: %(exc)s", exc=exc)
            options.append(OptionDraft(otext, weight / 100.0 * opts.max_points, omedia))
        if bad:
            result.problem(where, bad)
            continue
        positives = [w for w in weights if w > 0]
        has_equals = any(marker == "=" for marker, _ in answers)
        kind = "single"
        if not has_equals and len(positives) > 1 and sum(positives) <= 100.5:
            kind = "multiple"
        # Moodle grades a multiple-response answer within 0..100 % of the mark (negative weights never go below 0)
        lower, upper = (0.0, float(opts.max_points)) if kind == "multiple" else (None, None)
        result.items.append(
            ItemDraft(
                uid, subtest or "", question, options, kind, category, explanation=explanation, media=media,
                source=where, explicit_uid=False, html=html, score_lower=lower, score_upper=upper,
            )
        )  # fmt: skip
    return result
