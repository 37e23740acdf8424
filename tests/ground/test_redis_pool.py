"""A room logging in at once asks Redis from hundreds of greenlets together: they wait for a connection, none fails."""

from __future__ import annotations

import threading
import time
import uuid

import redis

from ground.config import Config
from ground.runtime import REDIS_CONNECTIONS, Runtime
from tests.conftest import need_redis


def test_more_callers_than_connections_wait_their_turn(tmp_path) -> None:
    url = need_redis()
    rt = Runtime(Config(data_dir=tmp_path, redis_url=url))
    key = f"test:pool:{uuid.uuid4().hex}"
    callers = REDIS_CONNECTIONS + 120  # more than redis-py's plain pool (100) would open
    got: list[bytes] = []
    errors: list[BaseException] = []

    def caller() -> None:
        try:
            item = rt.redis.blpop([key], timeout=30)  # holds its connection until an item arrives
            got.append(item[1])
        except BaseException as exc:  # noqa: BLE001 - the test reports every failure
            errors.append(exc)

    threads = [threading.Thread(target=caller) for _ in range(callers)]
    for t in threads:
        t.start()
    watcher = redis.Redis.from_url(url)
    deadline = time.monotonic() + 20
    while watcher.info("clients")["blocked_clients"] < REDIS_CONNECTIONS and time.monotonic() < deadline:
        time.sleep(0.01)  # polling a condition: every pooled connection is blocked in BLPOP
    blocked = watcher.info("clients")["blocked_clients"]
    try:
        assert blocked == REDIS_CONNECTIONS, "the pool bounds this process's connections"
        watcher.rpush(key, *[str(i) for i in range(callers)])
        for t in threads:
            t.join(timeout=60)
    finally:
        watcher.delete(key)
    assert errors == []
    assert sorted(int(x) for x in got) == list(range(callers))
