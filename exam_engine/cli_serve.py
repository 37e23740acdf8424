"""``exam-engine serve`` (an existing data folder) and ``exam-engine demo`` (seed, then serve)."""

from __future__ import annotations

import json
import logging

import click

from ground.cli_state import CliState, data_dir_option, pass_state
from ground.i18n import _


def _serve(state: CliState, host: str, port: int) -> None:
    """Run the gevent server: keys and schema ready, heartbeat and ticker started, serve until stopped."""
    from exam_engine.app import create_app
    from exam_engine.packages import hooks
    from ground.extensions import socketio

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    state.init_db()
    app = create_app(state.config, async_mode="gevent")
    for start in hooks("start"):
        start(app)  # the heartbeat; the ticker; the proctor pump
    click.echo(_("exam-engine serving %(dir)s on http://%(host)s:%(port)s/", dir=state.config.data_dir, host=host,
                 port=port), err=True)
    socketio.run(app, host=host, port=port, log_output=False, use_reloader=False)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 for a LAN).")
@click.option("--port", default=5000, show_default=True, type=int)
@data_dir_option
@pass_state
def serve_cmd(state: CliState, host: str, port: int) -> None:
    """Serve an existing data folder (this is also how a restart after a crash looks)."""
    _serve(state, host, port)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--candidates", default=20, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--seed-only", is_flag=True, help="Seed the demo and print the credentials without serving.")
@data_dir_option
@pass_state
def demo_cmd(state: CliState, host: str, port: int, candidates: int, seed_only: bool) -> None:
    """Seed a demo exam (sample SKD bank, one open room, N candidates) in the data folder and serve it."""
    from exam_engine.demo import credentials_path, seed_demo

    url = f"http://{host}:{port}/"
    state.init_db()  # every key made here, atomically, before anything reads one
    creds = seed_demo(state.config, candidates=candidates, url=url)
    shown = creds["candidates"][:5]
    click.echo("")
    click.echo(_("  Candidate page : %(url)s", url=url))
    click.echo(_("  Room token     : %(token)s", token=creds["room_token"]))
    if creds.get("room"):
        click.echo(_("  Score board    : %(url)sboard/%(room)s", url=url, room=creds["room"]))
    click.echo(_("  Receipt check  : %(url)sreceipt", url=url))
    for c in shown:
        click.echo(_("  Candidate      : %(no)s  PIN %(pin)s", no=c["participant_no"], pin=c["pin"]))
    if len(creds["candidates"]) > len(shown):
        click.echo(_("  ... and %(n)s more", n=len(creds["candidates"]) - len(shown)))
    for s in creds.get("staff", []):
        click.echo(_(
            "  Staff (%(role)s): %(user)s / %(password)s  %(url)s", role=s["role"], user=s["username"],
            password=s["password"], url=f"{url}{s.get('path', 'staff/').lstrip('/')}",
        ))
    click.echo(_("  All credentials: %(path)s", path=credentials_path(state.config)))
    click.echo("")
    if seed_only:
        click.echo(json.dumps({"credentials": str(credentials_path(state.config))}))
        return
    _serve(state, host, port)
