"""Failed-attempt limits for sign-ins (per address and per account): in this process's memory, or in Redis when
``EXAM_REDIS_URL`` is set so that every serving process counts the same failures."""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from ground import clock
from ground.errors import AppError
from ground.i18n import _

T = TypeVar("T")


class Limiter(Protocol):
    """What a sign-in guard needs from a failure counter (memory or Redis)."""

    def blocked(self, *keys: str) -> bool: ...

    def fail(self, *keys: str) -> None: ...

    def clear(self, *keys: str) -> None: ...

    def count(self, key: str) -> int: ...


class FailureLimiter:
    """Refuses a key after ``limit`` failures within ``window_s`` seconds (on the injected clock)."""

    def __init__(self, limit: int, window_s: int) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> int:
        """Drop the key's failures older than the window (a key left with none is forgotten); how many remain."""
        q = self._failures.get(key)
        if q is None:
            return 0  # guessed names leave nothing behind
        while q and now - q[0] > self.window_s:
            q.popleft()
        if not q:
            del self._failures[key]
        return len(q)

    def blocked(self, *keys: str) -> bool:
        """True when any of ``keys`` reached the limit within the window."""
        now = clock.now().timestamp()
        with self._lock:
            return any(self._trim(k, now) >= self.limit for k in keys)

    def fail(self, *keys: str) -> None:
        """Count one failure for each of ``keys``."""
        now = clock.now().timestamp()
        with self._lock:
            for k in keys:
                self._trim(k, now)
                self._failures.setdefault(k, deque()).append(now)

    def clear(self, *keys: str) -> None:
        """Forget the failures of ``keys`` (after a success)."""
        with self._lock:
            for k in keys:
                self._failures.pop(k, None)

    def count(self, key: str) -> int:
        """The failures of ``key`` within the window (what a proctor is told before clearing it)."""
        now = clock.now().timestamp()
        with self._lock:
            return self._trim(key, now)


class RedisFailureLimiter:
    """The same sliding window kept in one Redis sorted set per key, so all processes share the count.

    Scores are timestamps of the injected clock (tests advance it); each key expires a window after its last
    failure, so nothing is left behind.
    """

    def __init__(self, client: Any, prefix: str, limit: int, window_s: int) -> None:
        self.client = client
        self.prefix = prefix
        self.limit = limit
        self.window_s = window_s

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    def _run(self, call: Callable[[], T]) -> T:
        """``call`` against Redis; when no pooled connection came free in the pool's wait, every sign-in (candidate,
        staff, applicant) is refused as busy with a Retry-After and changes nothing: an overloaded process, not a
        broken one (a 10,000-candidate run had 133 such 500s)."""
        import redis  # only installations with a Redis build this limiter

        try:
            return call()
        except redis.exceptions.ConnectionError as exc:
            if str(exc) != "No connection available.":  # redis-py says it only in its message
                raise
            wait = int(getattr(self.client.connection_pool, "timeout", None) or 1)
            raise AppError("busy", _("The server is busy. Try again in %(seconds)d seconds.", seconds=wait), 503,
                           retry_after=wait) from exc

    def _counts(self, keys: tuple[str, ...]) -> list[int]:
        low = clock.now().timestamp() - self.window_s
        pipe = self.client.pipeline(transaction=False)
        for k in keys:
            pipe.zremrangebyscore(self._key(k), "-inf", f"({low}")
            pipe.zcard(self._key(k))
        return [int(n) for n in self._run(pipe.execute)[1::2]]

    def blocked(self, *keys: str) -> bool:
        """True when any of ``keys`` reached the limit within the window."""
        return any(n >= self.limit for n in self._counts(keys))

    def fail(self, *keys: str) -> None:
        """Count one failure for each of ``keys`` (a random member, so two processes' failures never merge)."""
        now = clock.now().timestamp()
        pipe = self.client.pipeline(transaction=False)
        for k in keys:
            pipe.zadd(self._key(k), {f"{now}:{secrets.token_hex(6)}": now})
            pipe.expire(self._key(k), self.window_s + 1)
        self._run(pipe.execute)

    def clear(self, *keys: str) -> None:
        """Forget the failures of ``keys``."""
        if keys:
            self._run(lambda: self.client.delete(*(self._key(k) for k in keys)))

    def count(self, key: str) -> int:
        """The failures of ``key`` within the window."""
        return self._counts((key,))[0]


def make_limiter(limit: int, window_s: int, redis_client: Any = None, prefix: str = "") -> Limiter:
    """A Redis-backed limiter when a client is given (shared by processes), else this process's memory."""
    if redis_client is None:
        return FailureLimiter(limit, window_s)
    return RedisFailureLimiter(redis_client, prefix, limit, window_s)


class SignInGuard:
    """Failed sign-ins counted per account and per address; an address gets ``address_factor`` times more."""

    def __init__(
        self, limit: int, window_s: int, address_factor: int, redis_client: Any = None, prefix: str = "ratelimit"
    ) -> None:
        self.per_account = make_limiter(limit, window_s, redis_client, f"{prefix}:account")
        self.per_address = make_limiter(limit * address_factor, window_s, redis_client, f"{prefix}:address")

    def blocked(self, account: str, address: str) -> bool:
        """True when the account or the address has used up its failures for now."""
        return self.per_account.blocked(account) or self.per_address.blocked(address)

    def account_blocked(self, account: str) -> bool:
        """True when the account alone has used up its failures (the lockout a proctor may clear)."""
        return self.per_account.blocked(account)

    def address_blocked(self, address: str) -> bool:
        """True when the address has used up its failures (checked before the account is known)."""
        return self.per_address.blocked(address)

    def failed(self, account: str, address: str) -> None:
        """Count a wrong password or PIN against both."""
        self.per_account.fail(account)
        self.per_address.fail(address)

    def address_failed(self, address: str) -> None:
        """Count a failure that names no real account (a wrong room token) against the address only."""
        self.per_address.fail(address)

    def succeeded(self, account: str) -> None:
        """A good sign-in clears the account's count (not the address's: others may share it)."""
        self.per_account.clear(account)

    def clear_account(self, account: str) -> int:
        """A proctor lifts an account's lockout; returns how many failures were forgotten."""
        n = self.per_account.count(account)
        self.per_account.clear(account)
        return n
