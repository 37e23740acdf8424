"""Heavy committee jobs (an exam's item analysis, an annulment, a signed export, a page ranking a whole exam) in a
child process while serving.

In the serving process such a job would share one interpreter lock with every live candidate for its whole run (an
analysis of 100,000 papers: ~40 s, a signed PDF of them: ~53 s); apart, it has its own, runs at a lower CPU priority
than the exam, and its memory goes back to the system when it ends. The call, its arguments and its result cross by
pickle over the child's pipes, never through a file (a report holds the answer key). ``python -m ground.jobs`` is
the child.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from ground import clock, keyring
from ground.concurrency import gevent_active
from ground.errors import AppError
from ground.i18n import _, current_locale

T = TypeVar("T")
JOB_NICE = 10  # below the exam: a candidate's answer never waits for a committee's report
JOB_SLOTS = 2  # jobs at once per serving process: each may hold a gigabyte (a 100,000-row signed PDF: 1.1 GB)
JOB_WAIT_S = 5  # a job beyond them waits this long for a slot, then is refused (never queued past the proxy)
_slots = threading.BoundedSemaphore(JOB_SLOTS)  # gevent's when serving: a waiting request yields
log = logging.getLogger(__name__)


def _apart() -> bool:
    from flask import has_app_context

    from ground.runtime import runtime

    return gevent_active() and (not has_app_context() or runtime().config.jobs_apart)


def run_apart(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in a child process when serving (``EXAM_JOBS_APART``, default on), else right here.

    ``fn`` is a module-level function. The child gets this process's key folders, clock and locale; an exception it
    raises is raised here as it was (an ``AppError`` with its code and message), a crash is logged with the child's
    traceback and becomes a 500, and a child that ended without an answer is a translated ``job_stopped``. At most
    JOB_SLOTS run at once per process; one that waited JOB_WAIT_S for a slot is refused (503 ``jobs_busy``)."""
    if not _apart():
        return fn(*args, **kwargs)
    if not _slots.acquire(timeout=JOB_WAIT_S):
        raise AppError("jobs_busy", _("Other committee jobs are running on this server. Try again in a minute."),
                       503, retry_after=60)
    try:
        return _in_child(fn, args, kwargs)
    finally:
        _slots.release()


def _in_child(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    """One job in a fresh child process: its outcome, raised or returned here."""
    spec = {"call": (fn.__module__, fn.__qualname__), "args": args, "kwargs": kwargs, "keys": keyring.registered(),
            "clock": clock.snapshot(), "locale": current_locale()}
    # gevent's subprocess while serving: this greenlet waits on the pipes, the event loop runs on
    done = subprocess.run([sys.executable, "-m", "ground.jobs"], input=pickle.dumps(spec), stdout=subprocess.PIPE,
                          check=False)
    try:
        kind, value = pickle.loads(done.stdout)
    except Exception:  # noqa: BLE001 - no answer at all: killed, out of memory
        log.error("job %s.%s ended without an answer (exit %s)", *spec["call"], done.returncode)
        raise AppError("job_stopped", _("The job stopped before it finished (its process ended). Nothing it was "
                                        "writing was kept; run it again."), 503) from None
    if kind == "ok":
        return value  # type: ignore[no-any-return]
    if kind == "raise":
        raise value
    log.error("job %s.%s failed:\n%s", *spec["call"], value)
    raise RuntimeError(f"job {spec['call'][0]}.{spec['call'][1]} failed in its process")


def _child() -> None:
    """Read one call from stdin, run it, write its outcome to stdout (anything the job prints goes to stderr)."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    spec = pickle.loads(sys.stdin.buffer.read())
    os.nice(JOB_NICE)
    os.environ["EXAM_LOCALE"] = spec["locale"]  # outside a request the messages follow the installation's locale
    for url, folder in spec["keys"].items():
        keyring.register(url, folder)
    clock.restore(spec["clock"])
    module, name = spec["call"]
    try:
        fn = importlib.import_module(module)
        for part in name.split("."):
            fn = getattr(fn, part)
        outcome: tuple[str, Any] = ("ok", fn(*spec["args"], **spec["kwargs"]))
    except Exception as exc:  # noqa: BLE001 - sent back whole when it pickles, else as its traceback
        if not isinstance(exc, AppError):
            traceback.print_exc()  # into the server's log: the caller sees only the exception
        outcome = ("raise", exc)
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:  # noqa: BLE001
            outcome = ("crash", traceback.format_exc())
    out.write(pickle.dumps(outcome))
    out.close()


if __name__ == "__main__":
    _child()
