"""``exam-engine`` sub-commands for scoring: rank a sheet, export and verify signed results, check receipts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ground.cli_state import CliState, cli_actor, pass_state
from ground.config import write_private
from ground.crypto import load_public_key, load_signing_key
from ground.i18n import _
from ground.tables import TableError, read_table, write_rows
from scoring.grading import fmt_score
from scoring.presets import PRESETS, RulesError, resolve_rules
from scoring.receipts import ReceiptError, verify_receipt
from scoring.selection import FormationRanking, SheetError, parse_score_sheet, ranking_json, select_entrants
from scoring.signing import SignatureError, sign_file, verify_file

EXIT_INVALID = 1
EXIT_BAD_INPUT = 2


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def installation_public_key(state: CliState, given: Path | None) -> Any:
    """The public key to verify with: ``--public-key`` PEM, else this installation's own signing key."""
    if given is not None:
        try:
            return load_public_key(given.read_bytes())
        except (OSError, ValueError) as exc:
            _fail(_("Cannot read the public key %(path)s: %(error)s", path=str(given), error=str(exc)))
    if not (state.config.data_dir / "signing.key").exists():
        _fail(
            _(
                "This installation (%(dir)s) has no signing key; give --public-key with the signer's PEM.",
                dir=str(state.config.data_dir),
            )
        )
    return load_signing_key(state.config.data_dir).public_key()


def ranking_rows(formations: list[FormationRanking], subtests: tuple[str, ...]) -> tuple[list[str], list[list[Any]]]:
    """Flat announcement rows (one per candidate) for CSV/XLSX output of a ranking."""
    header = ["formation", "quota", "slots", "rank", "participant_no", "name", "entry_path", *subtests,
              "total", "passed", "advances", "code", "reasons"]
    rows: list[list[Any]] = []
    for f in formations:
        for r in f.rows:
            scores = r.entrant.scores or {}
            rows.append([
                f.label, f.quota, f.slots, r.rank or "", r.entrant.participant_no, r.entrant.name, f.entry_path,
                *[fmt_score(scores[s]) if s in scores else "" for s in subtests],
                "" if r.total is None else fmt_score(r.total), "yes" if r.passed else "no",
                "yes" if r.advances else "no", r.code, "; ".join(r.reasons),
            ])
    return header, rows


@click.command("rank")
@click.argument("scores", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--preset", "preset_name", default="skd-2024", show_default=True,
              help="Grading preset: " + ", ".join(sorted(PRESETS)))
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the ranking to FILE (.csv, .xlsx or .json), signed with a detached FILE.sig.")
@click.option("--json", "as_json", is_flag=True, help="Print the ranking as JSON.")
@pass_state
def rank_cmd(state: CliState, scores: Path, preset_name: str, out: Path | None, as_json: bool) -> None:
    """Rank a score sheet (CSV/XLSX) per formation under a preset; bad rows are reported, nothing ranked."""
    try:
        rules = resolve_rules(preset_name)
        entrants = parse_score_sheet(read_table(scores), rules)
        formations = select_entrants(entrants, rules)
    except SheetError as exc:
        for p in exc.problems:
            click.echo(_("row %(row)s, column %(column)s: %(problem)s", row=p.row, column=p.column,
                         problem=p.message), err=True)
        _fail(_("%(count)s problem(s) in %(file)s; nothing was ranked.", count=len(exc.problems), file=str(scores)))
        return
    except (TableError, RulesError) as exc:
        _fail(str(exc))
        return
    data = ranking_json(formations)
    if out is not None:
        if out.suffix.lower() == ".json":
            write_private(out, (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        else:
            header, rows = ranking_rows(formations, rules.subtests)
            try:
                write_rows(out, header, rows, title="ranking")
            except TableError as exc:
                _fail(str(exc))
        state.config.ensure_data_dir()
        sig = sign_file(out, load_signing_key(state.config.data_dir))
        if not as_json:
            click.echo(_("Wrote %(file)s and its signature %(sig)s", file=str(out), sig=str(sig)))
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    elif out is None:
        for f in formations:
            click.echo(_("%(formation)s — quota %(quota)s, %(slots)s go on", formation=f.label, quota=f.quota,
                         slots=f.slots))
            for r in f.rows:
                total = "-" if r.total is None else fmt_score(r.total)
                click.echo(f"  {r.rank or '-':>5}  {r.entrant.participant_no:<20} {total:>8}  {r.code:<4} "
                           f"{'; '.join(r.reasons)}")


@click.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sig", "sig", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The detached signature (default: FILE.sig).")
@click.option("--public-key", "public_key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The signer's public key (PEM); default: this installation's key.")
@pass_state
def verify_cmd(state: CliState, file: Path, sig: Path | None, public_key: Path | None) -> None:
    """Check a signed export: prints VALID, or INVALID and exactly why (exit status 1)."""
    public = installation_public_key(state, public_key)
    try:
        ok = verify_file(file, public, sig)
    except SignatureError as exc:
        _fail(_("INVALID: %(reason)s", reason=str(exc)), EXIT_INVALID)
        return
    click.echo(_("VALID: %(file)s, SHA-256 %(sha)s, signed %(at)s by key %(key)s", file=str(ok.file),
                 sha=ok.sha256, at=ok.signed_at, key=ok.key_id))


@click.command("verify-receipt")
@click.argument("receipt", required=False)
@click.option("--file", "file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Read the receipt from a file instead of the argument ('-' reads standard input).")
@click.option("--public-key", "public_key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The installation's public key (PEM); default: this installation's key.")
@pass_state
def verify_receipt_cmd(state: CliState, receipt: str | None, file: Path | None, public_key: Path | None) -> None:
    """Check a candidate's submission receipt and print what it proves (exit status 1 when invalid)."""
    if file is not None:
        receipt = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    if not receipt or not receipt.strip():
        _fail(_("Give the receipt as an argument or with --file."))
        return
    public = installation_public_key(state, public_key)
    try:
        claims = verify_receipt(public, receipt)
    except ReceiptError as exc:
        _fail(_("INVALID: %(reason)s", reason=str(exc)), EXIT_INVALID)
        return
    click.echo(_("VALID receipt"))
    click.echo(json.dumps(claims, ensure_ascii=False, indent=2, sort_keys=True))


# ------------------------------------------------------------------ results (database)

STAGES = ("skd", "final")


def _exam(session: Any, code: str) -> Any:
    from sqlalchemy import select

    from ground.models import Exam

    exam = session.scalar(select(Exam).where(Exam.code == code))
    if exam is None:
        _fail(_("No exam with code %(code)s.", code=code))
    return exam


def _guard(fn: Any) -> Any:
    """Turn the library's input errors into a clear message and exit status 2 (nothing is committed)."""
    import functools

    from scoring.store.onboarding import OnboardingError
    from scoring.store.rescoring import RescoreError

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SheetError as exc:
            for p in exc.problems:
                click.echo(_("row %(row)s, column %(column)s: %(problem)s", row=p.row, column=p.column,
                             problem=p.message), err=True)
            _fail(_("%(count)s problem(s); nothing was changed.", count=len(exc.problems)))
        except (RulesError, TableError, OnboardingError, RescoreError, ValueError) as exc:
            _fail(str(exc))

    return wrapper


@click.group("results")
def results_group() -> None:
    """Announcements, rescoring, SKB scores and the final selection of an exam."""


@results_group.command("export")
@click.option("--exam", "exam_code", required=True, help="Exam code.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "pdf"]), required=True)
@click.option("--stage", type=click.Choice(STAGES), default="skd", show_default=True,
              help="skd: the SKD announcement; final: the integrated SKD + SKB selection.")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@pass_state
@_guard
def results_export_cmd(state: CliState, exam_code: str, fmt: str, stage: str, out: Path) -> None:
    """Write the ranked announcement per formation (PDF in Bahasa Indonesia) and sign it (OUT.sig)."""
    from ground import db
    from scoring.store.announcement import export_skd
    from scoring.store.final import export_final

    url = state.init_db()
    key = load_signing_key(state.config.data_dir)
    with db.session_scope(url) as session:
        exam = _exam(session, exam_code)
        export = export_skd if stage == "skd" else export_final
        sig = export(session, exam, fmt, out, key, state.config.site_zone, cli_actor())
    click.echo(_("Wrote %(file)s and its signature %(sig)s", file=str(out), sig=str(sig)))


@results_group.command("show")
@click.option("--exam", "exam_code", required=True)
@pass_state
@_guard
def results_show_cmd(state: CliState, exam_code: str) -> None:
    """Print the exam's SKD announcement as JSON (the ``rank --json`` shape) and store the result codes."""
    from ground import db
    from scoring.store.announcement import announce_skd

    url = state.init_db()
    with db.session_scope(url) as session:
        data = ranking_json(announce_skd(session, _exam(session, exam_code)))
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@results_group.command("annul")
@click.option("--exam", "exam_code", required=True)
@click.option("--item-version", "versions", type=int, multiple=True, help="Item version id (repeatable).")
@click.option("--item", "items", multiple=True, help="Item uid: all its versions (repeatable).")
@click.option("--mode", type=click.Choice(["award", "drop"]), required=True,
              help="award: everyone gets the points; drop: the question counts for nobody.")
@click.option("--reason", required=True)
@click.option("--actor", default="staff:cli", show_default=True)
@pass_state
@_guard
def results_annul_cmd(state: CliState, exam_code: str, versions: tuple[int, ...], items: tuple[str, ...],
                      mode: str, reason: str, actor: str) -> None:
    """Annul questions (soal dianulir) and rescore the exam at once; every changed result is logged."""
    from ground import db
    from scoring.store.rescoring import annul_items, rescore_exam, versions_of_items

    url = state.init_db()
    with db.session_scope(url) as session:
        exam = _exam(session, exam_code)
        ids = list(versions) + versions_of_items(session, items) if items else list(versions)
        annul_items(session, exam, ids, mode, reason, actor)
        report = rescore_exam(session, exam, reason, actor)
    click.echo(_("Annulled %(n)s item version(s); %(changed)s of %(checked)s results changed.", n=len(set(ids)),
                 changed=len(report.changed), checked=report.checked))
    for ch in report.changed:
        click.echo(f"  {ch.participant_no}: {fmt_score(ch.before.get('total', 0))} → {fmt_score(ch.after['total'])}")


@results_group.command("rescore")
@click.option("--exam", "exam_code", required=True)
@click.option("--reason", required=True)
@click.option("--actor", default="staff:cli", show_default=True)
@pass_state
@_guard
def results_rescore_cmd(state: CliState, exam_code: str, reason: str, actor: str) -> None:
    """Recompute every finished paper from the stored answers; prints and logs what changed."""
    from ground import db
    from scoring.store.rescoring import rescore_exam

    url = state.init_db()
    with db.session_scope(url) as session:
        report = rescore_exam(session, _exam(session, exam_code), reason, actor)
    click.echo(_("%(changed)s of %(checked)s results changed.", changed=len(report.changed), checked=report.checked))
    for ch in report.changed:
        click.echo(f"  {ch.participant_no}: {fmt_score(ch.before.get('total', 0))} → {fmt_score(ch.after['total'])}")


@results_group.command("import-skb")
@click.option("--exam", "exam_code", required=True, help="The SKD exam the SKB belongs to.")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from-exam", "from_exam", default=None, help="Take SKB scores from this exam run here.")
@click.option("--max", "max_score", type=float, default=None, help="SKB maximum score (default 100 for sheets).")
@pass_state
@_guard
def results_import_skb_cmd(state: CliState, exam_code: str, file: Path | None, from_exam: str | None,
                           max_score: float | None) -> None:
    """Import SKB scores: a CSV/XLSX sheet (participant_no, skb[, status, passed]) or --from-exam CODE."""
    from ground import db
    from scoring.store.final import import_skb, skb_from_exam

    if (file is None) == (from_exam is None):
        _fail(_("Give either a FILE or --from-exam, not both or neither."))
    url = state.init_db()
    with db.session_scope(url) as session:
        exam = _exam(session, exam_code)
        if file is not None:
            n = import_skb(session, exam, read_table(file), f"import:{file.name}", max_score or 100.0,
                           cli_actor())
        else:
            n = skb_from_exam(session, exam, _exam(session, str(from_exam)), max_score)
    click.echo(_("Imported %(n)s SKB score(s).", n=n))


@results_group.command("final")
@click.option("--exam", "exam_code", required=True)
@click.option("--weights", default=None, help="SKD/SKB weights, e.g. 40/60 (default: the exam's or 40/60).")
@click.option("--json", "as_json", is_flag=True)
@pass_state
@_guard
def results_final_cmd(state: CliState, exam_code: str, weights: str | None, as_json: bool) -> None:
    """Integrate SKD and SKB per formation into the final selection and store it."""
    from ground import db
    from scoring.integration import parse_weights
    from scoring.store.final import compute_final

    override: dict[str, Any] = {}
    if weights:
        override["skd_weight"], override["skb_weight"] = parse_weights(weights)
    url = state.init_db()
    with db.session_scope(url) as session:
        formations = compute_final(session, _exam(session, exam_code), override)
        data = {"formations": [
            {"formation": f.label, "quota": f.quota, "slots": f.slots, "ranking": [
                {"rank": r.rank, "participant_no": r.entrant.participant_no,
                 "final": None if r.final is None else float(r.final), "selected": r.selected, "code": r.code}
                for r in f.rows]}
            for f in formations]}
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for f in data["formations"]:
        click.echo(_("%(formation)s — quota %(quota)s", formation=f["formation"], quota=f["quota"]))
        for r in f["ranking"]:
            click.echo(f"  {r['rank'] or '-':>5}  {r['participant_no']:<20} {r['final'] or '-':>9}  {r['code']}")


# ------------------------------------------------------------------ onboarding


@click.group("onboarding")
def onboarding_group() -> None:
    """Onboarding records of selected candidates: create from the final ranking, list, export, update."""


@onboarding_group.command("create")
@click.option("--exam", "exam_code", required=True)
@click.option("--cohort", "cohort_code", default=None, help="Orientation cohort code (created if new).")
@click.option("--cohort-name", default=None)
@click.option("--starts", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--ends", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--mentor", default=None)
@pass_state
@_guard
def onboarding_create_cmd(state: CliState, exam_code: str, cohort_code: str | None, cohort_name: str | None,
                          starts: Any, ends: Any, mentor: str | None) -> None:
    """Create a record for every selected (P/L) candidate of the final ranking, in one step."""
    from ground import db
    from scoring.store.onboarding import create_from_final, get_or_create_cohort

    url = state.init_db()
    with db.session_scope(url) as session:
        exam = _exam(session, exam_code)
        cohort = None
        if cohort_code:
            cohort = get_or_create_cohort(session, cohort_code, cohort_name, starts.date() if starts else None,
                                          ends.date() if ends else None)
        created = create_from_final(session, exam, cohort, mentor)
    click.echo(_("Created %(n)s onboarding record(s).", n=len(created)))


@onboarding_group.command("list")
@click.option("--exam", "exam_code", required=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE (signed) instead of printing; needs --format csv or json.")
@pass_state
@_guard
def onboarding_list_cmd(state: CliState, exam_code: str, fmt: str, out: Path | None) -> None:
    """List or export the exam's onboarding records with their link back to the results."""
    import tempfile

    from ground import db
    from scoring.store.onboarding import export_records, list_records

    url = state.init_db()
    with db.session_scope(url) as session:
        views = list_records(session, _exam(session, exam_code))
        if out is not None:
            if fmt == "table":
                _fail(_("--out needs --format csv or json."))
            export_records(views, out, fmt)
            sig = sign_file(out, load_signing_key(state.config.data_dir))
            click.echo(_("Wrote %(file)s and its signature %(sig)s", file=str(out), sig=str(sig)))
            return
        if fmt == "table":
            for v in views:
                d = v.as_dict()
                click.echo(f"{d['participant_no']:<20} {d['formation']:<30} {d['status']:<20} {d['cohort'] or '-'} "
                           f"{d['mentor'] or '-'}")
            return
        with tempfile.TemporaryDirectory() as tmp:
            path = export_records(views, Path(tmp) / f"records.{fmt}", fmt)
            click.echo(path.read_text(encoding="utf-8"), nl=False)


@onboarding_group.command("milestone")
@click.option("--exam", "exam_code", required=True)
@click.argument("participant_no")
@click.argument("name")
@click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Date it was done.")
@pass_state
@_guard
def onboarding_milestone_cmd(state: CliState, exam_code: str, participant_no: str, name: str, on: Any) -> None:
    """Mark an evaluation milestone of a record as done on a date."""
    from ground import db
    from scoring.store.onboarding import complete_milestone

    url = state.init_db()
    with db.session_scope(url) as session:
        complete_milestone(session, _record(session, exam_code, participant_no), name, on.date(), cli_actor())
    click.echo(_("%(no)s: %(status)s", no=participant_no, status=f"{name} = {on.date().isoformat()}"))


def _record(session: Any, exam_code: str, participant_no: str) -> Any:
    from sqlalchemy import select

    from ground.models import Candidate
    from ground.models.scoring import OnboardingRecord

    exam = _exam(session, exam_code)
    rec = session.scalar(select(OnboardingRecord).join(Candidate, Candidate.id == OnboardingRecord.candidate_id)
                         .where(OnboardingRecord.exam_id == exam.id, Candidate.participant_no == participant_no))
    if rec is None:
        _fail(_("%(no)s has no onboarding record in %(exam)s.", no=participant_no, exam=exam_code))
    return rec


@onboarding_group.command("status")
@click.option("--exam", "exam_code", required=True)
@click.argument("participant_no")
@click.argument("status")
@pass_state
@_guard
def onboarding_status_cmd(state: CliState, exam_code: str, participant_no: str, status: str) -> None:
    """Set a record's status: awaiting_documents, in_orientation or completed."""
    from ground import db
    from scoring.store.onboarding import set_status

    url = state.init_db()
    with db.session_scope(url) as session:
        set_status(session, _record(session, exam_code, participant_no), status, actor="staff:cli")
    click.echo(_("%(no)s: %(status)s", no=participant_no, status=status))


COMMANDS = [rank_cmd, verify_cmd, verify_receipt_cmd, results_group, onboarding_group]
