"""The project's own bank format (JSON, and YAML with the same structure), checked against docs/bank.schema.json."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from ground.config import write_private
from ground.i18n import _
from question_bank.formats import FormatError, ParseResult, Problem, ReadOptions
from question_bank.formats.common import ImageSink, file_loader, sanitize_html, utf8_text
from question_bank.items import ItemDraft, OptionDraft

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "bank.schema.json"
FORMAT_MARK = "exam-engine-bank"


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    """The compiled schema validator (loaded once)."""
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def item_validator() -> Draft202012Validator:
    """The schema of one item (for precise messages about the items the fast check refused)."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator({"$ref": "#/$defs/item", "$defs": schema["$defs"]})


_ITEM_KEYS = {
    "uid", "subtest", "kind", "text", "category", "tags", "difficulty", "explanation", "media", "options",
    "score_lower", "score_upper", "html",
}  # fmt: skip
_MEDIA_KEYS = {"src", "alt", "mime", "sha256"}
_SHA = re.compile(r"[0-9a-f]{64}")


def _str(v: Any, lo: int = 0, hi: int | None = None, null: bool = False) -> bool:
    if v is None:
        return null
    return isinstance(v, str) and len(v) >= lo and (hi is None or len(v) <= hi)


def _media_ok(media: Any) -> bool:
    return isinstance(media, list) and all(
        isinstance(m, dict) and m.keys() <= _MEDIA_KEYS and _str(m.get("src"), 1)
        and all(_str(m[k]) for k in ("alt", "mime") if k in m)
        and ("sha256" not in m or (isinstance(m["sha256"], str) and _SHA.fullmatch(m["sha256"]) is not None))
        for m in media
    )  # fmt: skip


def _number_or_none(v: Any) -> bool:
    return v is None or (isinstance(v, int | float) and not isinstance(v, bool))


def item_ok(raw: Any) -> bool:
    """A fast, strict check of one item against the schema (JSON Schema validation is slow on 10,000 items)."""
    if not isinstance(raw, dict) or not raw.keys() <= _ITEM_KEYS:
        return False
    opts = raw.get("options")
    return (
        _str(raw.get("uid"), 1, 128) and _str(raw.get("subtest"), 1, 32) and _str(raw.get("text"))
        and raw.get("kind", "single") in ("single", "multiple", "truefalse")
        and _str(raw.get("category"), 0, 128, null=True) and _str(raw.get("difficulty"), 0, 32, null=True)
        and _str(raw.get("explanation"), null=True)
        and all(_number_or_none(raw.get(k)) for k in ("score_lower", "score_upper"))
        and _str(raw.get("html"), null=True)
        and isinstance(raw.get("tags", []), list) and all(isinstance(t, str) for t in raw.get("tags", []))
        and _media_ok(raw.get("media", []))
        and isinstance(opts, list) and len(opts) >= 2
        and all(
            isinstance(o, dict) and o.keys() <= {"text", "points", "media"} and _str(o.get("text"))
            and isinstance(o.get("points"), int | float) and not isinstance(o.get("points"), bool)
            and _media_ok(o.get("media", []))
            for o in opts
        )
    )  # fmt: skip


def _path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _media(sink: ImageSink, raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [sink.resolve(f"bank:{m['sha256']}" if m.get("sha256") else m["src"], m.get("alt", "")) for m in raw]


_SPACE = re.compile(r"[ \t\n\r]*")


def json_item_lines(text: str) -> list[int]:
    """The line where each element of the top-level ``items`` array starts (the last ``items`` key wins, as in
    ``json.loads``); empty when the document is not an object. Only called on text ``json.loads`` accepted."""
    decoder = json.JSONDecoder()

    def skip(i: int) -> int:
        return i + len(_SPACE.match(text, i)[0])  # type: ignore[index]  # the pattern matches the empty string

    i = skip(0)
    if text[i : i + 1] != "{":
        return []
    found: list[int] = []
    i = skip(i + 1)
    while text[i : i + 1] == '"':
        key, i = decoder.raw_decode(text, i)
        i = skip(skip(i) + 1)  # past the colon
        if key == "items" and text[i : i + 1] == "[":
            starts = []
            i = skip(i + 1)
            while text[i : i + 1] not in ("]", ""):
                starts.append(i)
                i = skip(decoder.raw_decode(text, i)[1])
                i = skip(i + 1) if text[i : i + 1] == "," else i
            found = _lines_at(text, starts)
            i += 1
        else:
            i = decoder.raw_decode(text, i)[1]
        i = skip(i)
        i = skip(i + 1) if text[i : i + 1] == "," else i
    return found


def _lines_at(text: str, offsets: list[int]) -> list[int]:
    """1-based line numbers of ascending offsets, counted in one pass (a 50 MB file with 10,000 items stays fast)."""
    out, line, last = [], 1, 0
    for at in offsets:
        line += text.count("\n", last, at)
        last = at
        out.append(line)
    return out


def _yaml_item_lines(node: yaml.Node | None) -> list[int]:
    """The line where each element of a YAML document's ``items`` sequence starts."""
    if not isinstance(node, yaml.MappingNode):
        return []
    found: list[int] = []
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "items" and isinstance(value, yaml.SequenceNode):
            found = [child.start_mark.line + 1 for child in value.value]
    return found


def parse_document(
    doc: Any, name: str, opts: ReadOptions | None = None, lines: Sequence[int] = ()
) -> ParseResult:
    """Turn a decoded document into drafts; schema errors become problems located by line, item index and uid.

    ``lines``: where each item starts in the source, so a committee finds it in its editor as in the other formats.
    """
    opts = opts or ReadOptions()
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_MARK:
        raise FormatError(
            _(
                '%(name)s: not an exam-engine bank (expected "format": "%(mark)s")',
                name=name,
                mark=FORMAT_MARK,
            )
        )
    result = ParseResult(items=[])
    bad_items: set[int] = set()
    items = doc.get("items")
    top = {k: v for k, v in doc.items() if k != "items"} | {"items": [] if isinstance(items, list) else items}
    for err in validator().iter_errors(top):
        # a top-level problem (format mark, version, items not a list) invalidates the whole file
        raise FormatError(f"{name}: {_path(list(err.absolute_path))}: {err.message}")
    assert isinstance(items, list)
    places = [
        f"{name}:{lines[idx]}: item {idx + 1}" if len(lines) == len(items) else f"{name}: item {idx + 1}"
        for idx in range(len(items))
    ]
    for idx, raw in enumerate(items):
        if item_ok(raw):
            continue  # the fast check accepts only what the schema accepts; the schema explains the rest
        bad_items.add(idx)
        uid = raw.get("uid") if isinstance(raw, dict) and isinstance(raw.get("uid"), str) else None
        where = places[idx] + (f" [{uid}]" if uid else "")
        for err in sorted(item_validator().iter_errors(raw), key=lambda e: list(map(str, e.absolute_path))):
            parts = list(err.absolute_path)
            result.problems.append(Problem(where, f"{_path(parts) if parts else 'item'}: {err.message}"))
    result.rejected += len(bad_items)
    sink = ImageSink(result, opts, file_loader(opts.base_dir, max(opts.max_image_bytes, opts.max_media_bytes)))
    for idx, raw in enumerate(items):
        if idx in bad_items:
            continue
        src = places[idx]
        try:
            media = _media(sink, raw.get("media", []))
            option_media = [_media(sink, o.get("media", [])) for o in raw["options"]]
        except ValueError as exc:
            result.problem(f"{src} [{raw['uid']}]", _("media: %(exc)s", exc=exc))
            continue
        result.items.append(
            ItemDraft(
                uid=raw["uid"].strip(),
                subtest=raw["subtest"].strip(),
                text=raw["text"],
                options=[
                    OptionDraft(o["text"], float(o["points"]), om)
                    for o, om in zip(raw["options"], option_media, strict=True)
                ],
                kind=raw.get("kind", "single"),
                category=raw.get("category"),
                tags=list(raw.get("tags", [])),
                difficulty=raw.get("difficulty"),
                explanation=raw.get("explanation"),
                media=media,
                source=src,
                score_lower=None if raw.get("score_lower") is None else float(raw["score_lower"]),
                score_upper=None if raw.get("score_upper") is None else float(raw["score_upper"]),
                html=sanitize_html(raw["html"]) or None if raw.get("html") else None,  # a file is never trusted
            )
        )
    return result


def read_json(data: bytes, name: str, opts: ReadOptions | None = None) -> ParseResult:
    """Read the JSON form of the bank format."""
    text = utf8_text(data, name)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            _(
                "%(name)s:%(lineno)s:%(colno)s: invalid JSON: %(msg)s",
                name=name,
                lineno=exc.lineno,
                colno=exc.colno,
                msg=exc.msg,
            )
        ) from exc
    return parse_document(doc, name, opts, json_item_lines(text))


def read_yaml(data: bytes, name: str, opts: ReadOptions | None = None) -> ParseResult:
    """Read the YAML form of the bank format (same structure as the JSON form; safe loader only)."""
    text = utf8_text(data, name)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        doc = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise FormatError(
            _("%(where)s: invalid YAML: %(value)s", where=where, value=getattr(exc, "problem", None) or exc)
        ) from exc
    finally:
        loader.dispose()
    return parse_document(doc, name, opts, _yaml_item_lines(node))


def draft_to_dict(d: ItemDraft) -> dict[str, Any]:
    """One item in the bank format (empty optional fields left out, so files stay readable)."""
    out: dict[str, Any] = {"uid": d.uid, "subtest": d.subtest, "kind": d.kind, "text": d.text}
    if d.category:
        out["category"] = d.category
    if d.tags:
        out["tags"] = list(d.tags)
    if d.difficulty:
        out["difficulty"] = d.difficulty
    if d.explanation:
        out["explanation"] = d.explanation
    if d.media:
        out["media"] = list(d.media)
    if d.html:
        out["html"] = d.html
    for key, bound in (("score_lower", d.score_lower), ("score_upper", d.score_upper)):
        if bound is not None:
            out[key] = int(bound) if float(bound).is_integer() else bound
    out["options"] = []
    for o in d.options:
        opt: dict[str, Any] = {"text": o.text, "points": int(o.points) if float(o.points).is_integer() else o.points}
        if o.media:
            opt["media"] = list(o.media)
        out["options"].append(opt)
    return out


def bank_document(items: list[ItemDraft], title: str | None = None) -> dict[str, Any]:
    """The whole bank as a document that validates against the schema."""
    doc: dict[str, Any] = {"format": FORMAT_MARK, "version": 1}
    if title:
        doc["title"] = title
    doc["items"] = [draft_to_dict(d) for d in items]
    return doc


def write_json(items: list[ItemDraft], path: str | Path, title: str | None = None) -> None:
    """Write a bank file in the JSON form (UTF-8, human-readable)."""
    text = json.dumps(bank_document(items, title), ensure_ascii=False, indent=2)
    write_private(Path(path), (text + "\n").encode("utf-8"))


def write_yaml(items: list[ItemDraft], path: str | Path, title: str | None = None) -> None:
    """Write a bank file in the YAML form."""
    text = yaml.safe_dump(bank_document(items, title), allow_unicode=True, sort_keys=False, width=100)
    write_private(Path(path), text.encode("utf-8"))
