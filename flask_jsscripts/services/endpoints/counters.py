"""Counters of endpoint calls: rate limits and the concurrency slots of sampled calls. In
Redis when ``JSSCRIPTS_HUEY_URL`` is ``redis://`` or ``rediss://`` (shared by every process),
else in process. A slot in Redis carries its deadline, so a process that dies holding one frees
it when the run's timeout has passed; while Redis is unreachable the process falls back to its
own counters."""

from __future__ import annotations

import logging
import math
import os
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

try:
    import redis
except ImportError:  # optional: without it the counters are per process
    redis = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

RATE_WINDOW = 60  # seconds: rate limits count calls per fixed minute
REDIS_RETRY_SECONDS = 5.0  # after a Redis error, use the in-process counters this long


@dataclass(frozen=True)
class Claim:
    """One concurrency cap a sampled call must fit under."""

    key: str
    limit: int
    reason: str  # RunRefused reason when full
    message: str


@dataclass
class Slot:
    """Held while a sampled call runs; released by :meth:`Counters.release`."""

    keys: tuple[str, ...]
    member: str
    remote: bool = False


class LocalCounters:
    """Counters of this process only (no Redis): exact for one process, per process otherwise."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[str, list[int]] = {}
        self._slots: dict[str, int] = {}

    def hit(self, key: str, limit: int, now: float) -> float | None:
        """Count a call; seconds until the window ends when this one is over ``limit``."""
        window = int(now // RATE_WINDOW)
        with self._lock:
            entry = self._hits.get(key)
            if entry is None or entry[0] != window:
                if len(self._hits) > 10_000:
                    self._hits = {k: v for k, v in self._hits.items() if v[0] == window}
                entry = self._hits[key] = [window, 0]
            entry[1] += 1
            count = entry[1]
        return None if count <= limit else RATE_WINDOW - now % RATE_WINDOW

    def acquire(self, claims: list[Claim], ttl: float) -> Slot | Claim:
        """A slot under every cap, or the first claim that is full."""
        with self._lock:
            for claim in claims:
                if self._slots.get(claim.key, 0) >= claim.limit:
                    return claim
            for claim in claims:
                self._slots[claim.key] = self._slots.get(claim.key, 0) + 1
        return Slot(tuple(c.key for c in claims), "")

    def release(self, slot: Slot) -> None:
        with self._lock:
            for key in slot.keys:
                left = self._slots.get(key, 0) - 1
                if left > 0:
                    self._slots[key] = left
                else:
                    self._slots.pop(key, None)


class RedisCounters:
    """Counters shared by every process through Redis, falling back to ``local`` while Redis
    cannot be reached. Rate limits: one INCR per minute window. Slots: a sorted set per cap
    whose members score their deadline, so a slot whose process died expires by itself."""

    def __init__(self, url: str, local: LocalCounters) -> None:
        self.url = url
        self.local = local
        self._client: Any = None
        self._pid = 0
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _redis(self) -> Any:
        if time.monotonic() < self._down_until:
            return None
        with self._lock:
            if self._client is None or self._pid != os.getpid():
                if redis is None:
                    log.warning("redis is not installed: HTTP endpoint counters are per process")
                    self._down_until = math.inf
                    return None
                self._client = redis.Redis.from_url(
                    self.url, socket_timeout=0.5, socket_connect_timeout=0.5
                )
                self._pid = os.getpid()
            return self._client

    def _failed(self, exc: Exception) -> None:
        log.warning(
            "Redis unreachable for HTTP endpoint counters (%s): using per-process counters "
            "for %s s",
            exc,
            REDIS_RETRY_SECONDS,
        )
        self._down_until = time.monotonic() + REDIS_RETRY_SECONDS

    def hit(self, key: str, limit: int, now: float) -> float | None:
        client = self._redis()
        if client is None:
            return self.local.hit(key, limit, now)
        name = f"jsscripts:rate:{key}:{int(now // RATE_WINDOW)}"
        try:
            pipe = client.pipeline(transaction=False)
            pipe.incr(name)
            pipe.expire(name, RATE_WINDOW + 1)
            count = pipe.execute()[0]
        except Exception as exc:  # noqa: BLE001 - any Redis failure: count locally
            self._failed(exc)
            return self.local.hit(key, limit, now)
        return None if count <= limit else RATE_WINDOW - now % RATE_WINDOW

    def acquire(self, claims: list[Claim], ttl: float) -> Slot | Claim:
        client = self._redis()
        if client is None:
            return self.local.acquire(claims, ttl)
        member = uuid.uuid4().hex
        now = time.time()
        keys = tuple(f"jsscripts:slots:{c.key}" for c in claims)
        try:
            pipe = client.pipeline(transaction=True)
            for key in keys:
                pipe.zremrangebyscore(key, "-inf", now)
                pipe.zadd(key, {member: now + ttl})
                pipe.zcard(key)
                pipe.expire(key, int(ttl) + 1)
            counts = pipe.execute()[2::4]
            for claim, count in zip(claims, counts, strict=True):
                if count > claim.limit:
                    self._remove(client, keys, member)
                    return claim
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)
            return self.local.acquire(claims, ttl)
        return Slot(keys, member, remote=True)

    def release(self, slot: Slot) -> None:
        if not slot.remote:
            self.local.release(slot)
            return
        client = self._redis()
        if client is not None:
            try:
                self._remove(client, slot.keys, slot.member)
            except Exception as exc:  # noqa: BLE001 - the slot expires at its deadline anyway
                self._failed(exc)

    @staticmethod
    def _remove(client: Any, keys: tuple[str, ...], member: str) -> None:
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.zrem(key, member)
        pipe.execute()


Counters = LocalCounters | RedisCounters


def counters_for(config: Mapping[str, Any], local: LocalCounters) -> Counters:
    url = config.get("JSSCRIPTS_HUEY_URL")
    if isinstance(url, str) and url.startswith(("redis://", "rediss://")):
        return RedisCounters(url, local)
    return local
