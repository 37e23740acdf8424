"""``exam-engine exam …``: create an exam from a blueprint, check its bank, issue papers, open it, list."""

from __future__ import annotations

import json
from pathlib import Path

import click

from exam_engine import db
from exam_engine.cli import CliState, pass_state
from exam_engine.crypto import load_master_key
from exam_engine.errors import AppError
from exam_engine.exams import bank_problems, create_exam, exam_overview, get_exam
from exam_engine.i18n import _
from exam_engine.papers import issue_papers, release_exam
from question_bank.blueprint import BlueprintError, load_blueprint, load_preset


def _fail(err: AppError) -> click.ClickException:
    lines = [err.message]
    lines += [f"  - {p}" for p in err.details.get("problems", [])]
    return click.ClickException("\n".join(lines))


@click.group("exam")
def exam_cmd() -> None:
    """Exams: create from a blueprint, check the bank, issue papers, open for the start."""


@exam_cmd.command("create")
@click.argument("code")
@click.option("--title", default="", help="Shown to candidates (default: the blueprint's title).")
@click.option("--blueprint", "blueprint_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A blueprint YAML/JSON file (docs/blueprints.md).")
@click.option("--preset", help="A shipped blueprint instead, e.g. 'skd' (TWK 30, TIU 35, TKP 45, 100 minutes).")
@click.option("--grading", help="Grading rules: a preset name (skd-2024, ...) or a JSON file (docs/scoring.md).")
@pass_state
def exam_create(state: CliState, code: str, title: str, blueprint_file: Path | None, preset: str | None,
                grading: str | None) -> None:
    """Create exam CODE; refused, with what is missing, when the bank cannot fill every paper."""
    if (blueprint_file is None) == (preset is None):
        raise click.UsageError(_("Give exactly one of --blueprint FILE or --preset NAME."))
    try:
        bp = load_blueprint(blueprint_file) if blueprint_file else load_preset(preset or "")
    except BlueprintError as exc:
        raise click.ClickException(_("The blueprint is not valid: %(why)s", why=str(exc))) from None
    rules = None
    if grading:
        path = Path(grading)
        if path.is_file():
            try:
                rules = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise click.ClickException(_("%(file)s is not JSON: %(why)s", file=grading, why=exc)) from None
        else:
            rules = {"preset": grading}
    state.init_db()
    try:
        with db.session_scope(state.db_url) as s:
            exam = create_exam(s, code, title, bp, load_master_key(state.config.data_dir), grading=rules, actor="cli")
            summary = (exam.code, exam.title, bp.total_items, exam.duration_s // 60)
    except AppError as err:
        raise _fail(err) from None
    click.echo(_("Created exam %(code)s (%(title)s): %(items)s items, %(minutes)s minutes. Next: add rooms and "
                 "candidates, then 'exam issue' and, on the day, 'exam open'.",
                 code=summary[0], title=summary[1], items=summary[2], minutes=summary[3]))


@exam_cmd.command("check")
@click.argument("code")
@pass_state
def exam_check(state: CliState, code: str) -> None:
    """Check again that the bank can fill every paper of exam CODE (it may have changed since creation)."""
    state.init_db()
    try:
        with db.session_scope(state.db_url) as s:
            problems = bank_problems(s, load_blueprint(get_exam(s, code).blueprint))
    except AppError as err:
        raise _fail(err) from None
    if problems:
        raise click.ClickException("\n".join([_("The bank cannot fill this exam:"), *[f"  - {p}" for p in problems]]))
    click.echo(_("The bank can fill every paper of %(code)s.", code=code))


@exam_cmd.command("issue")
@click.argument("code")
@pass_state
def exam_issue(state: CliState, code: str) -> None:
    """Assemble and seal a paper for every candidate of exam CODE who has none yet (ahead of the day)."""
    state.init_db()
    try:
        with db.session_scope(state.db_url) as s:
            n = issue_papers(s, get_exam(s, code), load_master_key(state.config.data_dir))
    except AppError as err:
        raise _fail(err) from None
    click.echo(_("Issued %(n)s papers.", n=n))


@exam_cmd.command("open")
@click.argument("code")
@click.option("--by", "actor", required=True, help="Who releases the key (recorded in the audit log).")
@pass_state
def exam_open(state: CliState, code: str, actor: str) -> None:
    """Release exam CODE's key: from now on candidates can start (recorded in the audit log)."""
    state.init_db()
    try:
        with db.session_scope(state.db_url) as s:
            release_exam(s, get_exam(s, code), actor=f"staff:{actor}")
    except AppError as err:
        raise _fail(err) from None
    click.echo(_("Exam %(code)s is open: candidates can start.", code=code))


@exam_cmd.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_state
def exam_list(state: CliState, as_json: bool) -> None:
    """Every exam with its rooms, candidates and papers."""
    state.init_db()
    with db.session_scope(state.db_url) as s:
        rows = exam_overview(s)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        papers = ", ".join(f"{k} {v}" for k, v in sorted(r["papers"].items())) or "-"
        click.echo(f"{r['code']:<16} {r['state']:<6} {r['title']}  | {_('rooms')} {r['rooms']} · "
                   f"{_('candidates')} {r['candidates']} · {_('papers')} {papers} · "
                   f"{_('open since') + ' ' + r['released'] if r['released'] else _('not open')}")
