"""run_blocking under gevent: the heartbeat's urgent lane runs while a room's logins fill the shared pool."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.live import ROOT

SCRIPT = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import json
    import os
    import gevent
    from ground import concurrency

    gate, release = os.pipe()  # a login's thread blocks in a plain read: a native wait, whatever gevent patched
    started = []

    def login():
        started.append(1)
        os.read(gate, 1)
        return "in"

    size = gevent.get_hub().threadpool.maxsize
    crowd = [gevent.spawn(concurrency.run_blocking, login) for _ in range(size + 20)]
    with gevent.Timeout(20):
        while len(started) < size:
            gevent.sleep(0.01)
    full = len(started)
    late = gevent.spawn(concurrency.run_blocking, lambda: "shared")
    beat = None
    with gevent.Timeout(10, False):
        beat = concurrency.run_blocking(lambda: "beat", urgent=True)
    waiting = not late.ready()
    os.write(release, b"x" * len(crowd))
    gevent.joinall(crowd + [late], timeout=30)
    print(json.dumps({"held": full == size, "beat": beat, "shared_waiting": waiting,
                      "logins_done": sum(g.value == "in" for g in crowd) == len(crowd), "late": late.value}))
""")


def test_the_urgent_lane_passes_a_full_shared_pool() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    # every shared thread held by a waiting login, the heartbeat ran all the same, a call queued behind the logins on
    # the shared pool was still waiting, and in the end every one of them completed
    assert json.loads(out.stdout) == {"held": True, "beat": "beat", "shared_waiting": True, "logins_done": True,
                                      "late": "shared"}, out.stdout
