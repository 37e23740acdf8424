"""What a serving process holds: its config, database URL, keys, sign-in guards and its connections."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask, current_app

from ground.config import Config
from ground.crypto import load_master_key, load_signing_key
from ground.ratelimit import SignInGuard

REDIS_CONNECTIONS = 32  # per process: a sign-in check holds one for a round trip (well under a millisecond)


@dataclass
class Runtime:
    """Per-app state shared by the HTTP and Socket.IO faces (one per process)."""

    config: Config
    # this process's candidate connections: sid -> {"paper_id", "room_id", "exam_id", "candidate_id", "paper_map"}
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)
    guards: dict[str, SignInGuard] = field(default_factory=dict)
    # per-process services that delivery packages attach by name (the candidate engine's answer writer)
    services: dict[str, Any] = field(default_factory=dict)

    def sign_in_guard(self, kind: str, address_factor: int) -> SignInGuard:
        """The failure limits of one kind of sign-in, made once per process (in Redis when configured: shared)."""
        if kind not in self.guards:
            self.guards[kind] = SignInGuard(
                self.config.login_attempts, self.config.login_window_s, address_factor, self.redis,
                f"{self.config.redis_channel}:ratelimit:{kind}",
            )
        return self.guards[kind]

    @cached_property
    def redis(self) -> Any:
        """A Redis client when ``EXAM_REDIS_URL`` is set (sign-in limits shared by every process), else None."""
        if not self.config.redis_url:
            return None
        import redis  # only installations with a Redis need the client

        # A room logging in at once is hundreds of greenlets asking together: they queue for one of a bounded set
        # of connections (redis-py's plain pool refuses the 101st with "Too many connections": a 500 at login).
        pool = redis.BlockingConnectionPool.from_url(
            self.config.redis_url, max_connections=REDIS_CONNECTIONS, timeout=self.config.redis_wait_s,
            socket_timeout=5, socket_connect_timeout=5)
        return redis.Redis(connection_pool=pool)

    @property
    def db_url(self) -> str:
        """The database every face of this process uses."""
        return self.config.sqlalchemy_url

    @cached_property
    def master_key(self) -> bytes:
        """The key-encryption key, loaded once per process."""
        return load_master_key(self.config.data_dir)

    @cached_property
    def signing_key(self) -> Ed25519PrivateKey:
        """The Ed25519 key that signs receipts and exports, loaded once per process."""
        return load_signing_key(self.config.data_dir)

    @cached_property
    def secret(self) -> str:
        """The Flask secret (also signs candidate access tokens)."""
        return self.config.resolved_secret_key()


def runtime(app: Flask | None = None) -> Runtime:
    """The Runtime of ``app`` (default: the current app)."""
    return (app or current_app).extensions["exam_engine"]
