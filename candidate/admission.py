"""Login admission: a process refuses a login it could not answer soon and says when to come back, instead of
holding it until the proxy gives up (a 504 after a minute, which the page could only call "offline")."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from ground import clock

RATE_WINDOW_S = 5.0  # logins finished in this many seconds measure how fast this process answers them
RATE_FLOOR = 20.0  # logins a second assumed until enough have finished here (one core does ~70)
RETRY_MAX_S = 60  # the longest a refused page is told to wait
QUEUE = "login_queue"  # its name in Runtime.services


@dataclass
class LoginQueue:
    """Logins this process is answering, and how fast it finishes them: the wait a new one would join."""

    wait_limit_s: float
    in_flight: int = 0
    finished: deque[float] = field(default_factory=deque)  # monotonic times of the logins finished lately

    def rate(self, now: float) -> float:
        """Logins a second this process finishes lately (never taken below ``RATE_FLOOR``)."""
        while self.finished and self.finished[0] < now - RATE_WINDOW_S:
            self.finished.popleft()
        return max(len(self.finished) / RATE_WINDOW_S, RATE_FLOOR)

    def admit(self) -> int | None:
        """Take a login in (None), or refuse it: the seconds after which its wait should be gone."""
        now = clock.monotonic()
        wait = self.in_flight / self.rate(now)
        if wait > self.wait_limit_s:
            return min(RETRY_MAX_S, max(1, math.ceil(wait)))
        self.in_flight += 1
        return None

    def done(self) -> None:
        """A login taken in has been answered (whatever the answer)."""
        self.in_flight -= 1
        self.finished.append(clock.monotonic())
