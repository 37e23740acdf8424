"""Blueprints: what every paper of an exam holds (sections in order, draws by category/difficulty, time)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ground.i18n import _

PRESETS_DIR = Path(__file__).resolve().parent / "presets"


class BlueprintError(ValueError):
    """A blueprint that cannot be used; the message names the field that is wrong."""


@dataclass(frozen=True)
class Draw:
    """``count`` items of the section drawn from those matching ``category`` and/or ``difficulty``."""

    count: int
    category: str | None = None
    difficulty: str | None = None


@dataclass(frozen=True)
class Section:
    """One subtest on the paper: ``count`` items, some pinned by draws, the rest from the whole subtest."""

    code: str
    title: str
    count: int
    draws: tuple[Draw, ...] = ()


@dataclass(frozen=True)
class Blueprint:
    """A paper's recipe; stored as a dict in ``Exam.blueprint`` via :func:`blueprint_to_dict`."""

    code: str
    title: str
    duration_s: int
    sections: tuple[Section, ...]
    shuffle_questions: bool = True
    shuffle_options: bool = True
    grading: dict[str, Any] = field(default_factory=lambda: {"preset": "skd-2024"})

    def __hash__(self) -> int:  # grading is a dict; hash on the rest
        return hash(
            (self.code, self.title, self.duration_s, self.sections, self.shuffle_questions, self.shuffle_options)
        )

    @property
    def total_items(self) -> int:
        return sum(s.count for s in self.sections)


_TOP = {"code", "title", "duration_s", "sections", "shuffle_questions", "shuffle_options", "grading"}
_SECTION = {"code", "title", "count", "draws"}
_DRAW = {"count", "category", "difficulty"}


def _str(value: Any, where: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BlueprintError(_("%(where)s: must be a non-empty text", where=where))
    return value.strip()


def _int(value: Any, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BlueprintError(_("%(where)s: must be a whole number, got %(value)s", where=where, value=repr(value)))
    if value < minimum:
        raise BlueprintError(
            _("%(where)s: must be at least %(minimum)s, got %(value)s", where=where, minimum=minimum, value=value)
        )
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise BlueprintError(_("%(where)s: must be true or false, got %(value)s", where=where, value=repr(value)))
    return value


def _unknown(raw: Mapping[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(raw) - allowed)
    if extra:
        raise BlueprintError(
            _(
                "%(where)s: unknown field (allowed: %(allowed)s)",
                where=f"{where}{extra[0]}",
                allowed=", ".join(sorted(allowed)),
            )
        )


def _section(raw: Any, i: int) -> Section:
    where = f"sections[{i}]"
    if not isinstance(raw, Mapping):
        raise BlueprintError(_("%(where)s: must be a mapping with code, title, count", where=where))
    _unknown(raw, _SECTION, f"{where}.")
    code = _str(raw.get("code"), f"{where}.code")
    assert code is not None
    if len(code) > 32:
        raise BlueprintError(_("%(where)s: at most 32 characters", where=f"{where}.code"))
    title = _str(raw.get("title", code), f"{where}.title")
    count = _int(raw.get("count"), f"{where}.count", 1)
    draws_raw = raw.get("draws", []) or []
    if not isinstance(draws_raw, list):
        raise BlueprintError(_("%(where)s: must be a list", where=f"{where}.draws"))
    draws: list[Draw] = []
    for j, d in enumerate(draws_raw):
        dw = f"{where}.draws[{j}]"
        if not isinstance(d, Mapping):
            raise BlueprintError(_("%(where)s: must be a mapping with count and category and/or difficulty", where=dw))
        _unknown(d, _DRAW, f"{dw}.")
        draw = Draw(
            _int(d.get("count"), f"{dw}.count", 1),
            _str(d.get("category"), f"{dw}.category", optional=True),
            _str(d.get("difficulty"), f"{dw}.difficulty", optional=True),
        )
        if draw.category is None and draw.difficulty is None:
            raise BlueprintError(
                _("%(where)s: give a category or a difficulty (the rest of the section is drawn freely)", where=dw)
            )
        draws.append(draw)
    pinned = sum(d.count for d in draws)
    if pinned > count:
        raise BlueprintError(
            _(
                "%(where)s: %(pinned)s items drawn but the section has count %(count)s",
                where=f"{where}.draws",
                pinned=pinned,
                count=count,
            )
        )
    return Section(code, title or code, count, tuple(draws))


def _from_mapping(raw: Mapping[str, Any]) -> Blueprint:
    if not isinstance(raw, Mapping):
        raise BlueprintError(_("%(where)s: must be a mapping", where="blueprint"))
    _unknown(raw, _TOP, "")
    code = _str(raw.get("code"), "code")
    title = _str(raw.get("title", code), "title")
    duration = _int(raw.get("duration_s"), "duration_s", 60)
    secs = raw.get("sections")
    if not isinstance(secs, list) or not secs:
        raise BlueprintError(_("%(where)s: must be a non-empty list", where="sections"))
    sections = tuple(_section(s, i) for i, s in enumerate(secs))
    codes = [s.code for s in sections]
    for c in codes:
        if codes.count(c) > 1:
            raise BlueprintError(_("%(where)s: code %(code)s appears more than once", where="sections", code=repr(c)))
    grading = raw.get("grading", {"preset": "skd-2024"})
    if not isinstance(grading, Mapping):
        raise BlueprintError(_("%(where)s: must be a mapping, e.g. {preset: skd-2024}", where="grading"))
    return Blueprint(
        code=code,  # type: ignore[arg-type]
        title=title,  # type: ignore[arg-type]
        duration_s=duration,
        sections=sections,
        shuffle_questions=_bool(raw.get("shuffle_questions", True), "shuffle_questions"),
        shuffle_options=_bool(raw.get("shuffle_options", True), "shuffle_options"),
        grading=json.loads(json.dumps(dict(grading))),
    )


def load_blueprint(source: str | Path | Mapping[str, Any]) -> Blueprint:
    """A blueprint from a YAML/JSON file path or a mapping (e.g. ``Exam.blueprint``); raises BlueprintError."""
    if isinstance(source, Mapping):
        return _from_mapping(source)
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BlueprintError(_("%(where)s: cannot be read (%(why)s)", where=str(path), why=exc.strerror)) from exc
    try:
        raw = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise BlueprintError(_("%(where)s: not valid YAML/JSON: %(why)s", where=str(path), why=str(exc))) from exc
    if not isinstance(raw, Mapping):
        raise BlueprintError(
            _("%(where)s: must hold a mapping with code, title, duration_s, sections", where=str(path))
        )
    return _from_mapping(raw)


def blueprint_to_dict(bp: Blueprint) -> dict[str, Any]:
    """The JSON-safe form stored in ``Exam.blueprint``; ``load_blueprint`` reads it back unchanged."""
    sections = []
    for s in bp.sections:
        sec: dict[str, Any] = {"code": s.code, "title": s.title, "count": s.count}
        if s.draws:
            sec["draws"] = [
                {
                    k: v
                    for k, v in (("count", d.count), ("category", d.category), ("difficulty", d.difficulty))
                    if v is not None
                }
                for d in s.draws
            ]
        sections.append(sec)
    return {
        "code": bp.code,
        "title": bp.title,
        "duration_s": bp.duration_s,
        "shuffle_questions": bp.shuffle_questions,
        "shuffle_options": bp.shuffle_options,
        "grading": json.loads(json.dumps(bp.grading)),
        "sections": sections,
    }


def preset_names() -> list[str]:
    """The blueprints shipped with the engine (``question_bank/presets/*.yaml``)."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def load_preset(name: str) -> Blueprint:
    """A shipped blueprint by name, e.g. ``skd`` (TWK 30, TIU 35, TKP 45, 100 minutes)."""
    path = PRESETS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise BlueprintError(
            _("preset %(name)s not found (available: %(names)s)", name=repr(name), names=", ".join(preset_names()))
        )
    return load_blueprint(path)
