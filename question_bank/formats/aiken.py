"""Moodle's Aiken format: a question line, lettered options, ``ANSWER: X`` (no metadata; give --subtest)."""

from __future__ import annotations

import re

from ground.i18n import _
from question_bank.formats import ParseResult, Problem, ReadOptions
from question_bank.formats.common import utf8_text
from question_bank.items import ItemDraft, OptionDraft, text_hash

_OPTION = re.compile(r"^([A-Za-z])[.)]\s+(.*)$")
_OPTION_TIGHT = re.compile(r"^([A-Z])[.)](\S.*)$")  # "A)Text": Moodle accepts it when it is the next letter
_ANSWER = re.compile(r"^ANSWER\s*:\s*(.*)$", re.I)


def read_aiken(data: bytes, name: str, opts: ReadOptions) -> ParseResult:
    """Read an Aiken file; every malformed question is reported with its line number."""
    text = utf8_text(data, name)
    result = ParseResult(items=[])
    question: list[str] = []
    options: list[tuple[str, str]] = []
    start = 0
    broken: str | None = None
    orphan = False  # options seen with no question before them: skip to the next ANSWER line

    def reset() -> None:
        nonlocal question, options, broken, orphan
        question, options, broken, orphan = [], [], None, False

    for n, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        line = raw.strip()
        if not line:
            continue
        ans = _ANSWER.match(line)
        opt = _OPTION.match(line)
        tight = _OPTION_TIGHT.match(line)
        if not opt and tight and question and tight.group(1) == chr(ord("A") + len(options)):
            opt = tight
        if ans:
            where = f"{name}:{start or n}"
            letter = ans.group(1).strip().upper()
            letters = [o[0] for o in options]
            if orphan:
                result.problems.append(Problem(f"{name}:{n}", _("ANSWER line without a question before it")))
            elif broken:
                result.problem(where, broken)
            elif not question:
                result.problem(f"{name}:{n}", _("ANSWER line without a question before it"))
            elif len(options) < 2:
                result.problem(
                    where, _("needs at least 2 lettered options (A. ... or A) ...), has %(n)s", n=len(options))
                )
            elif not re.fullmatch(r"[A-Z]", letter):
                result.problem(where, _("ANSWER must be one letter, got %(answer)r", answer=ans.group(1).strip()))
            elif letter not in letters:
                result.problem(
                    where,
                    _("ANSWER %(letter)s is not one of the options %(list)s", letter=letter, list=", ".join(letters)),
                )
            else:
                stem = "\n".join(question)
                uid = "aiken-" + text_hash(stem)[:12]
                drafts = [OptionDraft(t, opts.max_points if k == letter else 0.0) for k, t in options]
                result.items.append(ItemDraft(uid, opts.subtest or "", stem, drafts, source=where, explicit_uid=False))
            reset()
            start = 0
            continue
        if orphan and opt:
            continue
        orphan = False  # a question line ends a stray block
        if opt and not question and not options:
            result.problem(f"{name}:{n}", _("option line without a question before it"))
            orphan = True
            continue
        if opt and question:
            letter = opt.group(1).upper()
            expected = chr(ord("A") + len(options))
            if letter != expected and not broken:
                broken = _(
                    "line %(n)s: option %(letter)s out of order (expected %(expected)s)",
                    n=n,
                    letter=letter,
                    expected=expected,
                )
            options.append((letter, opt.group(2).strip()))
            continue
        if options:  # text after options without an ANSWER line: the previous question is unfinished
            result.problem(f"{name}:{start}", _("question has no ANSWER line"))
            reset()
        if not question:
            start = n
        question.append(line)
    if question:
        result.problem(f"{name}:{start}", _("question has no ANSWER line"))
    return result
