"""``exam-engine`` sub-commands for scoring: rank a sheet, export and verify signed results, check receipts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from exam_engine.cli import CliState, pass_state
from exam_engine.crypto import load_public_key, load_signing_key
from exam_engine.i18n import _
from scoring.grading import fmt_score
from scoring.presets import PRESETS, RulesError, resolve_rules
from scoring.receipts import ReceiptError, verify_receipt
from scoring.selection import FormationRanking, SheetError, parse_score_sheet, ranking_json, select_entrants
from scoring.signing import SignatureError, sign_file, verify_file
from scoring.tables import TableError, read_table, write_rows

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
            out.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
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


COMMANDS = [rank_cmd, verify_cmd, verify_receipt_cmd]


def register(group: click.Group) -> None:
    """Attach every scoring command to the ``exam-engine`` group (called from exam_engine.cli._register)."""
    for cmd in COMMANDS:
        group.add_command(cmd)
