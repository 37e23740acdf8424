"""Failed-attempt limits for sign-ins (per address and per account), kept in this process's memory."""

from __future__ import annotations

import threading
from collections import defaultdict, deque

from ground import clock


class FailureLimiter:
    """Refuses a key after ``limit`` failures within ``window_s`` seconds (on the injected clock)."""

    def __init__(self, limit: int, window_s: int) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        q = self._failures[key]
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def blocked(self, *keys: str) -> bool:
        """True when any of ``keys`` reached the limit within the window."""
        now = clock.now().timestamp()
        with self._lock:
            return any(len(self._trim(k, now)) >= self.limit for k in keys)

    def fail(self, *keys: str) -> None:
        """Count one failure for each of ``keys``."""
        now = clock.now().timestamp()
        with self._lock:
            for k in keys:
                self._trim(k, now).append(now)

    def clear(self, *keys: str) -> None:
        """Forget the failures of ``keys`` (after a success)."""
        with self._lock:
            for k in keys:
                self._failures.pop(k, None)


class SignInGuard:
    """Failed sign-ins counted per account and per address; an address gets ``address_factor`` times more."""

    def __init__(self, limit: int, window_s: int, address_factor: int) -> None:
        self.per_account = FailureLimiter(limit, window_s)
        self.per_address = FailureLimiter(limit * address_factor, window_s)

    def blocked(self, account: str, address: str) -> bool:
        """True when the account or the address has used up its failures for now."""
        return self.per_account.blocked(account) or self.per_address.blocked(address)

    def failed(self, account: str, address: str) -> None:
        """Count a wrong password or PIN against both."""
        self.per_account.fail(account)
        self.per_address.fail(address)

    def succeeded(self, account: str) -> None:
        """A good sign-in clears the account's count (not the address's: others may share it)."""
        self.per_account.clear(account)
