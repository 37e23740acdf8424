"""``exam-engine bank …``: import, export, template, list, check a blueprint, rotate the master key, encrypt."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select

from ground import audit, bank_seal, crypto, people_seal
from ground.cli_state import CliState, cli_actor, pass_state
from ground.config import write_private
from ground.db import get_engine, session_scope
from ground.i18n import _
from ground.models import Exam, Item
from ground.models.bank_images import BankImage
from question_bank.assembly import stock_problems
from question_bank.blueprint import BlueprintError, load_blueprint, load_preset
from question_bank.formats import FormatError, Problem, read_bank
from question_bank.formats.registry import FORMATS
from question_bank.store import current_drafts, encrypt_bank, images_of, load_pool, retire_items, try_import

EXIT_PROBLEMS = 1
EXIT_BAD_INPUT = 2
PROGRESS_FROM = 500  # items; smaller imports finish before a bar would be readable


def _fail(message: str, as_json: bool = False, code: int = EXIT_BAD_INPUT) -> None:
    if as_json:
        click.echo(json.dumps({"imported": 0, "duplicates": 0, "skipped": 0, "problems": [
            {"location": "", "message": message}]}, ensure_ascii=False))  # fmt: skip
    else:
        click.echo(message, err=True)
    sys.exit(code)


@click.group("bank")
def bank_cmd() -> None:
    """Question bank: import and export items, the XLSX template, listing, blueprints, key rotation."""


def _summary(report_dict: dict[str, Any], fmt: str) -> None:
    click.echo(
        _(
            "%(fmt)s: %(new)s new, %(updated)s updated, %(unchanged)s unchanged, %(copies)s duplicates of other "
            "items, %(skipped)s skipped",
            fmt=fmt,
            new=report_dict["new"],
            updated=report_dict["updated"],
            unchanged=report_dict["unchanged"],
            copies=report_dict["duplicates"] - report_dict["unchanged"],
            skipped=report_dict["skipped"],
        )
    )
    if report_dict["by_subtest"]:
        click.echo(_("Per subtest: %(list)s", list=", ".join(f"{k} {v}" for k, v in report_dict["by_subtest"].items())))
    if report_dict["by_difficulty"]:
        click.echo(
            _("Per difficulty: %(list)s", list=", ".join(f"{k} {v}" for k, v in report_dict["by_difficulty"].items()))
        )
    if report_dict.get("images"):
        click.echo(_("New images stored: %(n)s", n=report_dict["images"]))
    for u in report_dict["update_details"]:
        click.echo(_("updated: %(location)s: %(what)s", location=u["location"], what=u["message"]))
    for d in report_dict["duplicate_details"]:
        click.echo(_("duplicate: %(location)s: %(what)s", location=d["location"], what=d["message"]))
    for w in report_dict["warnings"]:
        click.echo(_("warning: %(location)s: %(what)s", location=w["location"], what=w["message"]), err=True)
    for p in report_dict["problems"]:
        click.echo(_("skipped: %(location)s: %(what)s", location=p["location"], what=p["message"]), err=True)


def _refuse(file: Path, problems: list[Problem], skipped: int, valid: int, as_json: bool) -> None:
    """Report why a file is refused as a whole (nothing stored) and exit with status 1."""
    if as_json:
        out = {"imported": 0, "new": 0, "updated": 0, "unchanged": 0, "duplicates": 0, "skipped": skipped,
               "problems": [p.as_dict() for p in problems]}  # fmt: skip
        click.echo(json.dumps(out, ensure_ascii=False))
    else:
        for p in problems:
            click.echo(f"{p.location}: {p.message}", err=True)
        click.echo(
            _(
                "%(n)s problem(s) in %(file)s: nothing imported, the bank is unchanged. "
                "Fix the file, or use --skip-invalid to import the %(valid)s valid item(s).",
                n=len(problems),
                file=file.name,
                valid=valid,
            ),
            err=True,
        )
    sys.exit(EXIT_PROBLEMS)


@bank_cmd.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="Default: detected from the content.")
@click.option("--subtest", default=None, help="Subtest for items whose file does not say (Aiken, plain QTI items).")
@click.option(
    "--points",
    "max_points",
    type=float,
    default=5.0,
    show_default=True,
    help="Points of a fully correct answer, for formats that give percentages (GIFT, Moodle, QTI keys).",
)
@click.option("--skip-invalid", is_flag=True, help="Import the valid items and report the rest (Moodle's behaviour).")
@click.option("--dry-run", is_flag=True, help="Check the whole file and report; store nothing.")
@click.option("--update", is_flag=True, help="Let items the bank already holds (same identifier) change.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@pass_state
def import_cmd(
    state: CliState, file: Path, fmt: str | None, subtest: str | None, max_points: float, skip_invalid: bool,
    dry_run: bool, update: bool, as_json: bool,
) -> None:  # fmt: skip
    """Import a bank FILE; without --skip-invalid one problem refuses the whole file and nothing changes."""
    try:
        parsed = read_bank(file, fmt, subtest=subtest, max_points=max_points)
    except FormatError as exc:
        _fail(_("Cannot read %(file)s: %(error)s", file=str(file), error=str(exc)), as_json)
        return
    url = state.init_db()
    with session_scope(url) as session:
        show_bar = len(parsed.items) >= PROGRESS_FROM and not as_json
        with click.progressbar(length=len(parsed.items), label=_("Importing"), file=sys.stderr) if show_bar \
                else nullcontext() as bar:
            last = [0]

            def tick(n: int) -> None:
                bar.update(n - last[0])
                last[0] = n

            tried = try_import(session, parsed, update=update, skip_invalid=skip_invalid,
                               progress=tick if show_bar else None)
        report = tried.report
        if tried.refused:
            session.rollback()
            _refuse(file, report.problems, tried.total, tried.valid, as_json)
        if dry_run:
            session.rollback()
        else:
            audit.record(
                session, "bank_imported", actor=cli_actor(), file=file.name, format=parsed.fmt,
                imported=report.imported, updated=report.updated, duplicates=report.duplicates, skipped=report.skipped,
            )  # fmt: skip
    out = report.as_dict()
    if dry_run:
        out["dry_run"] = True
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False))
    else:
        _summary(out, parsed.fmt)
        if dry_run:
            click.echo(_("Dry run: nothing was stored."))


@bank_cmd.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["qti", "json", "yaml", "csv", "xlsx"]), default=None,
              help="Default: from the file name (.zip is QTI 2.1).")  # fmt: skip
@click.option("--subtest", "subtests", multiple=True, help="Only these subtests (repeatable).")
@pass_state
def export_cmd(state: CliState, out: Path, fmt: str | None, subtests: tuple[str, ...]) -> None:
    """Export the current version of every item: QTI 2.1 content package, JSON/YAML, CSV or XLSX."""
    from question_bank.formats import json_format, qti, tabular

    if fmt is None:
        fmt = {".zip": "qti", ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".xlsx": "xlsx"}.get(
            out.suffix.lower()
        )
        if fmt is None:
            _fail(_("Give --format (qti, json, yaml, csv, xlsx): the file name %(name)s does not say.", name=out.name))
    url = state.init_db()
    with session_scope(url) as session:
        drafts = current_drafts(session, subtests or None)
        images = images_of(session, drafts) if fmt == "qti" else {}
    if not drafts:
        _fail(_("The bank has no items to export."), code=EXIT_PROBLEMS)
    if fmt in ("csv", "xlsx"):  # a table or MathML that the plain text cannot rebuild: say so, per item
        from question_bank.formats.common import latex_html

        for d in drafts:
            if d.html and latex_html(d.text)[0] != d.html:
                click.echo(
                    _(
                        "warning: %(uid)s: its tables or formulas are written as plain text (%(fmt)s has no HTML; "
                        "use json, yaml or qti to keep them)",
                        uid=d.uid,
                        fmt=fmt,
                    ),
                    err=True,
                )
    if fmt == "qti":
        qti.write_package(drafts, out, images)
    elif fmt == "json":
        json_format.write_json(drafts, out)
    elif fmt == "yaml":
        json_format.write_yaml(drafts, out)
    elif fmt == "csv":
        tabular.write_csv(drafts, out)
    else:
        tabular.write_xlsx(drafts, out, template_instructions())
    click.echo(_("%(n)s items written to %(out)s (%(fmt)s).", n=len(drafts), out=str(out), fmt=fmt))


def template_instructions() -> list[str]:
    """The instructions sheet of the XLSX template (translated; Bahasa Indonesia by default)."""
    return [
        _("How to fill in this bank template (sheet 'Soal'): one row per question."),
        _(
            "uid: a unique code per question (e.g. TWK-0001). Importing the same uid again with changed text "
            "makes a new version (with --update); unchanged rows are skipped."
        ),  # fmt: skip
        _("subtest: TWK, TIU or TKP (or any section code your blueprint uses)."),
        _("category, difficulty, tags: optional; tags separated by ';'. Blueprints draw by category and difficulty."),
        _("kind: single (one answer), multiple (several correct answers, partial credit) or truefalse."),
        _("question and option_a ... option_e: the text. Leave unused options empty (from the end)."),
        _("TWK/TIU: put the correct letter in 'key' (e.g. C); 'points' is the score for it (default 5)."),
        _("TKP: leave 'key' empty and give every option a weight 1-5 in weight_a ... weight_e."),
        _("multiple: key lists the correct letters (e.g. A,C); the points are shared between them."),
        _("explanation: shown in the post-exam review. image: a file name next to the workbook (PNG/JPEG)."),
        _("Merged cells count for every row they cover. Essay or short-answer questions cannot be imported."),
        _("Import: exam-engine bank import bank.xlsx   (check first with --dry-run)"),
    ]


@bank_cmd.command("template")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def template_cmd(out: Path) -> None:
    """Write an empty committee template (XLSX with instructions, or CSV) to OUT."""
    from question_bank.formats import tabular

    if out.suffix.lower() == ".csv":
        tabular.write_csv([], out)
    elif out.suffix.lower() == ".xlsx":
        tabular.write_xlsx([], out, template_instructions())
    else:
        _fail(_("The template is .xlsx or .csv, not %(name)s.", name=out.name))
    click.echo(_("Template written to %(out)s.", out=str(out)))


@bank_cmd.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable counts.")
@pass_state
def list_cmd(state: CliState, as_json: bool) -> None:
    """What the bank holds: items per subtest, category and difficulty, and images."""
    url = state.init_db()
    with session_scope(url) as session:
        rows = session.execute(select(Item.subtest, Item.category, Item.difficulty)).all()
        n_images = session.scalar(select(func.count()).select_from(BankImage)) or 0
    by_sub: dict[str, dict[str, Counter[str]]] = {}
    for sub, cat, diff in rows:
        d = by_sub.setdefault(sub, {"category": Counter(), "difficulty": Counter()})
        d["category"][cat or "-"] += 1
        d["difficulty"][diff or "-"] += 1
    if as_json:
        out = {
            "items": len(rows),
            "images": n_images,
            "subtests": {
                s: {"items": sum(v["category"].values()), "category": dict(v["category"]),
                    "difficulty": dict(v["difficulty"])}
                for s, v in sorted(by_sub.items())
            },
        }  # fmt: skip
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    click.echo(_("%(n)s items, %(images)s images", n=len(rows), images=n_images))
    for s, v in sorted(by_sub.items()):
        click.echo(f"{s}: {sum(v['category'].values())}")
        click.echo(
            "  " + _("categories: %(list)s", list=", ".join(f"{k} {c}" for k, c in sorted(v["category"].items())))
        )
        click.echo(
            "  " + _("difficulty: %(list)s", list=", ".join(f"{k} {c}" for k, c in sorted(v["difficulty"].items())))
        )


@bank_cmd.command("check")
@click.argument("blueprint")
@pass_state
def check_cmd(state: CliState, blueprint: str) -> None:
    """Can the bank fill BLUEPRINT (a YAML/JSON file or a preset name such as skd)? Exit 1 with what is missing."""
    try:
        bp = load_blueprint(blueprint) if Path(blueprint).exists() else load_preset(blueprint)
    except BlueprintError as exc:
        _fail(_("Blueprint error: %(error)s", error=str(exc)))
        return
    url = state.init_db()
    with session_scope(url) as session:
        problems = stock_problems(bp, load_pool(session, [s.code for s in bp.sections]))
    if problems:
        for p in problems:
            click.echo(p, err=True)
        sys.exit(EXIT_PROBLEMS)
    click.echo(_("The bank can fill %(code)s: %(n)s items per paper.", code=bp.code, n=bp.total_items))


@bank_cmd.command("retire")
@click.argument("uids", nargs=-1, required=True)
@click.option("--reason", required=True, help="Why (goes into the audit log).")
@click.option("--restore", is_flag=True, help="Bring the items back instead.")
@pass_state
def retire_cmd(state: CliState, uids: tuple[str, ...], reason: str, restore: bool) -> None:
    """Retire items UIDS: new papers draw them no more (papers already issued keep them)."""
    state.init_db()
    with state.session() as session:
        changed = retire_items(session, uids, retire=not restore)
        audit.record(session, "bank.restored" if restore else "bank.retired", actor=cli_actor(), reason=reason,
                     uids=changed)
    click.echo(_("%(n)s item(s) changed: %(uids)s", n=len(changed), uids=", ".join(changed) or "-"))


@bank_cmd.command("rotate-key")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def rotate_key_cmd(state: CliState, yes: bool) -> None:
    """Replace the master key: every exam's data key is re-wrapped; no paper is re-encrypted."""
    from question_bank.packages import rewrap_exam_key

    url = state.init_db()
    data_dir = state.config.data_dir
    from_env = bool(os.environ.get("EXAM_MASTER_KEY"))
    key_path = data_dir / "master.key"
    pending = data_dir / "master.key.new"
    if pending.exists():
        _fail(_("%(path)s exists: a previous rotation did not finish. Check which key opens the exams before "
                "removing it.", path=str(pending)))  # fmt: skip
    if not yes:
        click.confirm(_("Rotate the master key of %(dir)s?", dir=str(data_dir)), abort=True)
    old = crypto.load_master_key(data_dir)
    new = crypto.new_key()
    if not from_env:
        write_private(pending, crypto.b64e(new).encode())

    def refuse(message: str) -> None:
        """Leave everything as it was (the session rolls back) and say which key did not open."""
        if not from_env:
            pending.unlink()
        _fail(message)

    with session_scope(url) as session:
        exams = session.scalars(select(Exam).where(Exam.data_key_wrapped.is_not(None))).all()
        for exam in exams:
            try:
                exam.data_key_wrapped = rewrap_exam_key(old, new, exam.code, exam.data_key_wrapped)
            except crypto.TamperedError:
                refuse(_("Exam %(code)s's key does not open with the current master key; nothing changed. Put back "
                         "the master key it was made with (master.key or EXAM_MASTER_KEY), then rotate again.",
                         code=exam.code))  # fmt: skip
        try:
            bank_seal.rewrap_bank_key(session, old, new)
        except crypto.TamperedError:
            refuse(_("The question bank's key does not open with the current master key; nothing changed. Put back "
                     "the master key it was sealed with (master.key or EXAM_MASTER_KEY), then rotate again."))
        try:
            people_seal.rewrap_people_key(session, old, new)
        except crypto.TamperedError:
            refuse(_("The people data key does not open with the current master key; nothing changed. Put back "
                     "the master key it was sealed with (master.key or EXAM_MASTER_KEY), then rotate again."))
        audit.record(session, "master_key_rotated", actor=cli_actor(), exams=[e.code for e in exams])
    if from_env:
        click.echo(_("The master key comes from EXAM_MASTER_KEY. Set it to this new value now, then restart:"))
        click.echo(crypto.b64e(new))
    else:
        os.replace(pending, key_path)
    click.echo(_("Master key rotated; %(n)s exam key(s) re-wrapped.", n=len(exams)))


@bank_cmd.command("encrypt")
@pass_state
def encrypt_cmd(state: CliState) -> None:
    """Seal the bank rows written before encryption at rest (once, after upgrading; running it again is harmless)."""
    url = state.init_db()
    with session_scope(url) as session:
        report = encrypt_bank(session)
        audit.record(session, "bank.encrypted", actor=cli_actor(), versions=report.versions, options=report.options,
                     images=report.images)  # fmt: skip
    engine = get_engine(url)
    if engine.dialect.name == "sqlite":  # the old plaintext pages must not linger in the file or its WAL
        with engine.connect() as conn:
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    click.echo(_("Bank sealed: %(versions)s versions, %(options)s options, %(images)s images.",
                 versions=report.versions, options=report.options, images=report.images))  # fmt: skip
    if engine.dialect.name == "postgresql":
        click.echo(_("On PostgreSQL run VACUUM FULL item_versions, options, bank_images so the old rows are gone."))


def register(main: click.Group) -> None:
    """Attach ``bank`` to the ``exam-engine`` command."""
    main.add_command(bank_cmd)
