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


def _serve_workers(state: CliState, host: str, port: int, workers: int, worker_port: int | None,
                   nginx: str | None) -> None:
    """Several workers behind nginx, supervised (exam_engine/workers.py); refused where they cannot share state."""
    from exam_engine.workers import Supervisor, find_nginx, listen_address, port_free

    config = state.config
    if config.sqlalchemy_url.startswith("sqlite"):
        raise click.UsageError(_(
            "%(n)s workers need PostgreSQL (EXAM_DATABASE_URL): SQLite serves one process. For one room, run "
            "'serve' with one worker.", n=workers))
    if not config.redis_url:
        raise click.UsageError(_(
            "%(n)s workers need Redis (EXAM_REDIS_URL) to carry Socket.IO messages between them.", n=workers))
    found = find_nginx(nginx)
    if found is None:
        raise click.UsageError(_(
            "%(n)s workers need nginx in front of them: install it (apt-get install nginx) or give its path with "
            "--nginx.", n=workers))
    if not port_free(port, host):
        raise click.UsageError(_(
            "nginx cannot listen on %(address)s: the port is taken or not allowed to this user.",
            address=listen_address(host, port)))
    first = worker_port if worker_port is not None else port + 1
    taken = [p for p in range(first, first + workers) if p == port or p > 65535 or not port_free(p)]
    if taken:
        raise click.UsageError(_(
            "Port %(port)s on 127.0.0.1 is taken: choose the workers' first port with --worker-port.", port=taken[0]))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    state.init_db()  # keys and schema once, before the workers start
    supervisor = Supervisor(config, host, port, workers, first, found)
    try:
        supervisor.prepare()
    except RuntimeError as exc:
        raise click.ClickException(_("nginx refused its configuration: %(error)s", error=str(exc))) from None
    click.echo(_("exam-engine serving %(dir)s with %(n)s workers behind nginx on http://%(host)s:%(port)s/",
                 dir=config.data_dir, n=workers, host=host, port=port), err=True)
    try:
        supervisor.run()
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 for a LAN).")
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Processes to run behind nginx (PostgreSQL and Redis needed for more than one). "
                   "Default: one per core with PostgreSQL and Redis configured, else one.")
@click.option("--worker-port", type=click.IntRange(1, 65535), default=None,
              help="The first worker's port on 127.0.0.1 (the others follow). Default: --port + 1.")
@click.option("--nginx", "nginx", default=None, help="The nginx binary (default: nginx on PATH, or /usr/sbin/nginx).")
@data_dir_option
@pass_state
def serve_cmd(state: CliState, host: str, port: int, workers: int | None, worker_port: int | None,
              nginx: str | None) -> None:
    """Serve an existing data folder (this is also how a restart after a crash looks); with more than one worker,
    the workers behind nginx, supervised (docs/deploy.md)."""
    from exam_engine.workers import default_workers

    count = workers if workers is not None else default_workers(state.config)
    if count > 1:
        _serve_workers(state, host, port, count, worker_port, nginx)
    else:
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
