"""The project's own bank format (JSON, and YAML with the same structure), checked against docs/bank.schema.json."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from question_bank.formats import FormatError, ParseResult, Problem, ReadOptions
from question_bank.formats.common import ImageSink, file_loader
from question_bank.items import ItemDraft, OptionDraft

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "bank.schema.json"
FORMAT_MARK = "exam-engine-bank"


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    """The compiled schema validator (loaded once)."""
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _media(sink: ImageSink, raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [sink.resolve(f"bank:{m['sha256']}" if m.get("sha256") else m["src"], m.get("alt", "")) for m in raw]


def parse_document(doc: Any, name: str, opts: ReadOptions | None = None) -> ParseResult:
    """Turn a decoded document into drafts; schema errors become problems located by item index and uid."""
    opts = opts or ReadOptions()
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_MARK:
        raise FormatError(f'{name}: not an exam-engine bank (expected "format": "{FORMAT_MARK}")')
    result = ParseResult(items=[])
    bad_items: set[int] = set()
    items = doc.get("items") if isinstance(doc.get("items"), list) else []
    for err in sorted(validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        parts = list(err.absolute_path)
        where = name
        if len(parts) >= 2 and parts[0] == "items" and isinstance(parts[1], int):
            idx = parts[1]
            bad_items.add(idx)
            uid = items[idx].get("uid") if isinstance(items[idx], dict) else None
            where = f"{name}: item {idx + 1}" + (f" [{uid}]" if uid else "")
        elif parts:
            # a top-level problem (format mark, version, items not a list) invalidates the whole file
            raise FormatError(f"{name}: {_path(parts)}: {err.message}")
        result.problems.append(Problem(where, f"{_path(parts[2:]) if len(parts) > 2 else 'item'}: {err.message}"))
    result.rejected += len(bad_items)
    sink = ImageSink(result, opts, file_loader(opts.base_dir, opts.max_image_bytes))
    for idx, raw in enumerate(items):
        if idx in bad_items:
            continue
        src = f"{name}: item {idx + 1}"
        try:
            media = _media(sink, raw.get("media", []))
            option_media = [_media(sink, o.get("media", [])) for o in raw["options"]]
        except ValueError as exc:
            result.problem(f"{src} [{raw['uid']}]", f"media: {exc}")
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
            )
        )
    return result


def read_json(data: bytes, name: str, opts: ReadOptions | None = None) -> ParseResult:
    """Read the JSON form of the bank format."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FormatError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise FormatError(f"{name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    return parse_document(doc, name, opts)


def read_yaml(data: bytes, name: str, opts: ReadOptions | None = None) -> ParseResult:
    """Read the YAML form of the bank format (same structure as the JSON form; safe loader only)."""
    try:
        doc = yaml.safe_load(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FormatError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise FormatError(f"{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    return parse_document(doc, name, opts)


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
    Path(path).write_text(text + "\n", encoding="utf-8")


def write_yaml(items: list[ItemDraft], path: str | Path, title: str | None = None) -> None:
    """Write a bank file in the YAML form."""
    text = yaml.safe_dump(bank_document(items, title), allow_unicode=True, sort_keys=False, width=100)
    Path(path).write_text(text, encoding="utf-8")
