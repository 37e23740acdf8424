"""``exam-engine serve --workers N``: N serving processes behind Debian's nginx, started and watched by one supervisor.

The supervisor writes nginx's configuration (the block docs/deploy.md documents, :data:`SITE`) into
``<data>/nginx/``, starts the N workers (``exam-engine serve --workers 1`` on 127.0.0.1, consecutive ports), waits
until each answers, then starts nginx in front. A worker (or nginx) that dies is started again; SIGTERM or SIGINT
stops nginx, then the workers (SIGTERM, SIGKILL after a grace period). The workers share PostgreSQL and carry their
Socket.IO emits through Redis; which of them runs the run-once jobs is elected in the database (ground/leader.py).
"""

from __future__ import annotations

import http.client
import logging
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ground.config import Config, private_dir

log = logging.getLogger(__name__)

# The site block: docs/deploy.md shows it with two workers on 5001/5002 listening on port 80 (a test compares them).
# ``hash $remote_addr consistent`` and not ``ip_hash``: ip_hash keys IPv4 clients by their first three octets, so a
# whole exam room on one /24 would land on one worker; this keys by the full address (still sticky, as Socket.IO's
# polling transport needs) and moves only a dead worker's clients when one goes.
# The committee's locations wait 600 s for an answer (nginx's default is 60 s): a whole-exam job takes minutes.
SITE = """upstream exam { hash $remote_addr consistent; %(servers)s }
map $http_upgrade $connection_upgrade { default upgrade; "" close; }
server {
  listen %(listen)s;
  client_max_body_size 50m;
  location / {
    proxy_pass http://exam;
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
  }
  location ~ ^/(api/v1/)?committee/ {
    proxy_pass http://exam;
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_read_timeout 600s;
  }
  location /socket.io/ {
    proxy_pass http://exam;
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
    proxy_read_timeout 120s;
  }
}
"""

GRACE_S = 10.0  # a stopping worker gets this long to finish its answer batch before SIGKILL
READY_TIMEOUT_S = 120.0
NGINX_PATHS = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")


def site_block(listen: str, ports: list[int]) -> str:
    """The documented block for these workers' ports, listening on ``listen`` (``80``, ``0.0.0.0:80``)."""
    return SITE % {"servers": " ".join(f"server 127.0.0.1:{p};" for p in ports), "listen": listen}


def find_nginx(given: str | None = None) -> str | None:
    """The nginx binary: the one given, on PATH, or where Debian puts it (/usr/sbin is not on a user's PATH)."""
    if given:
        return given if os.access(given, os.X_OK) else None
    return shutil.which("nginx") or next((p for p in NGINX_PATHS if os.access(p, os.X_OK)), None)


def default_workers(config: Config) -> int:
    """One per core where several can work (PostgreSQL and Redis configured), else the one process of a room."""
    if config.sqlalchemy_url.startswith("sqlite") or not config.redis_url:
        return 1
    return max(1, os.cpu_count() or 1)


def listen_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether this process could listen on ``host:port`` now (taken, or below 1024 without the right: False)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def nginx_conf(run_dir: Path, listen: str, ports: list[int]) -> str:
    """A whole nginx configuration: the site block inside the few lines a standalone nginx needs, its files in
    ``run_dir`` (pid, logs, temporary bodies), sized for thousands of WebSockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    files = 65536 if hard == resource.RLIM_INFINITY else min(65536, hard)
    temp = "\n".join(f"  {kind}_temp_path {run_dir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                          "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""  # its workers must enter the 0700 folder it runs from
    return (
        f"# written by exam-engine serve --workers; edits are overwritten at the next start\n"
        f"{user}worker_processes auto;\nworker_rlimit_nofile {files};\npid {run_dir / 'nginx.pid'};\n"
        f"error_log {run_dir / 'error.log'} warn;\n"
        f"events {{ worker_connections {max(1024, files // 2)}; }}\n"
        f"http {{\n  access_log {run_dir / 'access.log'};\n{temp}\n{site_block(listen, ports)}}}\n"
    )


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(none)"


def _die_with_parent() -> None:
    """In the child, before exec: the kernel sends it SIGTERM when the supervisor dies, even of SIGKILL (Linux)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class Child:
    """A supervised process: how to start it, the running one, and how often it died young."""

    name: str
    argv: list[str]
    env: dict[str, str]
    ready_url: tuple[str, int] | None = None  # (host, port) whose /api/v1/health answers once it serves
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    quick_deaths: int = 0
    restart_at: float = 0.0
    restarts: int = field(default=0)

    def start(self) -> None:
        self.proc = subprocess.Popen(self.argv, env=self.env, preexec_fn=_die_with_parent)  # noqa: PLW1509
        self.started = time.monotonic()
        log.info("%s started (pid %s)", self.name, self.proc.pid)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Supervisor:
    """Starts nginx and the workers, restarts whichever dies, stops them all on SIGTERM/SIGINT."""

    def __init__(self, config: Config, host: str, port: int, workers: int, worker_port: int, nginx: str) -> None:
        self.config = config
        self.listen = listen_address(host, port)
        self.ports = [worker_port + i for i in range(workers)]
        self.nginx = nginx
        self.run_dir = private_dir(config.data_dir / "nginx")
        self.stopping = False
        env = dict(os.environ)
        env["EXAM_DATA_DIR"] = str(config.data_dir)
        # one more proxy in front than the operator counted: nginx's X-Forwarded-For is believed, nobody else's
        env["EXAM_TRUSTED_PROXIES"] = str(config.trusted_proxies + 1)
        self.workers = [
            Child(f"worker {i + 1} (127.0.0.1:{p})",
                  [sys.executable, "-m", "exam_engine", "--data-dir", str(config.data_dir), "serve", "--workers", "1",
                   "--host", "127.0.0.1", "--port", str(p)], env, ("127.0.0.1", p))
            for i, p in enumerate(self.ports)
        ]
        conf = self.run_dir / "nginx.conf"
        self.front = Child("nginx", [nginx, "-p", str(self.run_dir), "-c", str(conf), "-e",
                                     str(self.run_dir / "error.log"), "-g", "daemon off;"], env)

    def prepare(self) -> None:
        """Write and test nginx's configuration (raises RuntimeError with nginx's complaint)."""
        conf = self.run_dir / "nginx.conf"
        conf.write_text(nginx_conf(self.run_dir, self.listen, self.ports))
        conf.chmod(0o600)
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            private_dir(self.run_dir / kind)
        check = subprocess.run([*self.front.argv[:-2], "-t"], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(check.stderr.strip())

    def run(self) -> None:
        """Serve until SIGTERM/SIGINT."""
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for w in self.workers:
                w.start()
            for w in self.workers:
                self._wait_ready(w)
            if not self.stopping:
                self.front.start()
            while not self.stopping:
                time.sleep(0.2)
                for child in [*self.workers, self.front]:
                    if not self.stopping and not child.alive():
                        self._restart(child)
        finally:
            self.shutdown()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop(self, signum: int, _frame: object) -> None:
        log.info("signal %s: stopping nginx and the workers", signum)
        self.stopping = True

    def _restart(self, child: Child) -> None:
        """Start a dead child again at once; one that keeps dying young waits longer each time (up to 30 s)."""
        now = time.monotonic()
        if child.restart_at == 0.0:
            code = child.proc.returncode if child.proc is not None else None
            young = now - child.started < 10
            child.quick_deaths = child.quick_deaths + 1 if young else 0
            delay = 0.0 if child.quick_deaths <= 1 else min(30.0, 2.0 ** (child.quick_deaths - 1))
            log.warning("%s exited (status %s); starting it again%s", child.name, code,
                        f" in {delay:.0f} s" if delay else "")
            if child is self.front:  # nginx says why in its own log
                log.warning("nginx's error log ends: %s", _tail(self.run_dir / "error.log"))
            child.restart_at = now + delay
        if now >= child.restart_at:
            child.restart_at = 0.0
            child.restarts += 1
            child.start()

    def _wait_ready(self, child: Child) -> None:
        assert child.ready_url is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.stopping and time.monotonic() < deadline:
            if not child.alive():
                raise RuntimeError(f"{child.name} exited with status {child.proc.returncode if child.proc else '?'}")
            conn = http.client.HTTPConnection(*child.ready_url, timeout=1)
            try:
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.1)
        if not self.stopping:
            raise RuntimeError(f"{child.name} did not answer within {READY_TIMEOUT_S:.0f} s")

    def shutdown(self) -> None:
        """nginx first (no new requests), then the workers: SIGTERM, and SIGKILL for one that outlives the grace."""
        for child in [self.front, *self.workers]:
            if child.alive():
                assert child.proc is not None
                child.proc.terminate()
        deadline = time.monotonic() + GRACE_S
        for child in [self.front, *self.workers]:
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0f s: killed", child.name, GRACE_S)
                child.proc.kill()
                child.proc.wait()
