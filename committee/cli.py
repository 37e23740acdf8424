"""The committee's commands: ``exam …`` (create from a blueprint, check, issue papers, open, list),
``bank relabel-difficulty`` (joins the bank with item analysis, so it lives above both) and ``audit check``
(joins the candidate engine's papers with scoring)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from sqlalchemy import select

from candidate.exams import bank_problems, create_exam, exam_overview, get_exam
from candidate.papers import issue_papers, release_exam
from committee.audit_check import check, report_lines
from ground import audit, db
from ground.cli_state import CliState, cli_actor, pass_state
from ground.crypto import load_master_key
from ground.i18n import _
from ground.models import Item
from question_bank.blueprint import BlueprintError, load_blueprint, load_preset
from question_bank.store import relabel_difficulty
from scoring.cli import installation_public_key
from scoring.store.analysis import latest_difficulty


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
    with state.session() as s:
        exam = create_exam(s, code, title, bp, load_master_key(state.config.data_dir), grading=rules, actor="cli")
        summary = (exam.code, exam.title, bp.total_items, exam.duration_s // 60)
    click.echo(_("Created exam %(code)s (%(title)s): %(items)s items, %(minutes)s minutes. Next: add rooms and "
                 "candidates, then 'exam issue' and, on the day, 'exam open'.",
                 code=summary[0], title=summary[1], items=summary[2], minutes=summary[3]))


@exam_cmd.command("check")
@click.argument("code")
@pass_state
def exam_check(state: CliState, code: str) -> None:
    """Check again that the bank can fill every paper of exam CODE (it may have changed since creation)."""
    state.init_db()
    with state.session() as s:
        problems = bank_problems(s, load_blueprint(get_exam(s, code).blueprint))
    if problems:
        raise click.ClickException("\n".join([_("The bank cannot fill this exam:"), *[f"  - {p}" for p in problems]]))
    click.echo(_("The bank can fill every paper of %(code)s.", code=code))


@exam_cmd.command("issue")
@click.argument("code")
@pass_state
def exam_issue(state: CliState, code: str) -> None:
    """Assemble and seal a paper for every candidate of exam CODE who has none yet (ahead of the day)."""
    state.init_db()
    with state.session() as s:
        n = issue_papers(s, get_exam(s, code), load_master_key(state.config.data_dir), actor=cli_actor())
    click.echo(_("Issued %(n)s papers.", n=n))


@exam_cmd.command("open")
@click.argument("code")
@click.option("--by", "actor", required=True, help="Who releases the key (recorded in the audit log).")
@pass_state
def exam_open(state: CliState, code: str, actor: str) -> None:
    """Release exam CODE's key: from now on candidates can start (recorded in the audit log)."""
    state.init_db()
    with state.session() as s:
        release_exam(s, get_exam(s, code), actor=f"staff:{actor}")
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


@click.command("relabel-difficulty")
@click.option("--easy", type=click.FloatRange(0, 1), default=0.70, show_default=True,
              help="Items at least this often answered correctly are 'mudah'.")
@click.option("--hard", type=click.FloatRange(0, 1), default=0.30, show_default=True,
              help="Items less often answered correctly than this are 'sulit'; between the two, 'sedang'.")
@pass_state
def relabel_difficulty_cmd(state: CliState, easy: float, hard: float) -> None:
    """Set items' difficulty labels from their latest measured p (exam-engine analysis --exam writes it)."""
    if hard > easy:
        click.echo(_("--hard must not be above --easy."), err=True)
        sys.exit(2)
    url = state.init_db()
    with db.session_scope(url) as session:
        ids = list(session.scalars(select(Item.id)))
        counts = relabel_difficulty(session, latest_difficulty(session, ids),
                                    (("mudah", easy), ("sedang", hard), ("sulit", 0.0)))
        audit.record(session, "bank_difficulty_relabelled", actor=cli_actor(), easy=easy, hard=hard, **counts)
    click.echo(_("Difficulty from item statistics: mudah %(e)s, sedang %(m)s, sulit %(h)s (%(c)s changed).",
                 e=counts["mudah"], m=counts["sedang"], h=counts["sulit"], c=counts["changed"]))


@click.group("audit")
def audit_cmd() -> None:
    """Checks that what was signed, stored and scored still agrees."""


@audit_cmd.command("check")
@click.option("--exam", "exam_code", default=None, help="Only this exam's papers (the audit chain is always whole).")
@click.option("--public-key", "public_key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The signer's public key (PEM); default: this installation's signing key.")
@pass_state
def audit_check_cmd(state: CliState, exam_code: str | None, public_key: Path | None) -> None:
    """Prove each finished paper's receipt, answers and score, and the audit chain, still agree (exit 1 if not)."""
    public = installation_public_key(state, public_key)  # before anything could make a new key
    with state.session() as s:
        report = check(s, public, exam_code)
        s.rollback()  # a check changes nothing
    for line in report_lines(report):
        click.echo(line)
    if not report.ok:
        sys.exit(1)
