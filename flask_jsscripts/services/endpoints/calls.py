"""An endpoint call: its rate limit, its recording (every call, or a sample) and its run.

With ``JSSCRIPTS_HTTP_RECORD_SAMPLE = 1`` every call is an execution row written before the
run, like a manual run. Below 1 a call runs first and writes its row afterwards only when it
failed or was drawn by the sample; the concurrency caps, which otherwise count ``running`` rows,
are then held by counter slots. Anonymous callers cannot fill the disk: a public endpoint
without a rate limit of its own gets ``JSSCRIPTS_PUBLIC_RATE_LIMIT``, and a call's recorded
input keeps at most ``JSSCRIPTS_HTTP_RECORD_BODY_BYTES`` of its body (:func:`recorded_request`).
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from ...runtime import RunResult
from .. import executions
from ..context import RunContext
from ..errors import NotFound, RunRefused, ValidationError
from ..executions import DEADLINE_MARGIN, RunOutcome
from ..executions.rules import caps_of
from ..validation import effective_limits
from .counters import Claim, Counters, LocalCounters, counters_for
from .replies import NOT_FOUND, Reply, error_reply, reply_of, response_parts
from .routes import Route, RouteCache


def _keep(result: RunResult, sample: float) -> bool:
    """Failures are always recorded; successes by the sample."""
    if result.status != "completed" or response_parts(result.value) is None:
        return True
    return random.random() < sample


def rate_limit_of(auth_mode: str, own_limit: int | None, config: Mapping[str, Any]) -> int | None:
    """The calls per minute an endpoint answers: its own limit, else for a public endpoint
    ``JSSCRIPTS_PUBLIC_RATE_LIMIT``; None: no limit."""
    if own_limit:
        return own_limit
    return config["JSSCRIPTS_PUBLIC_RATE_LIMIT"] if auth_mode == "public" else None


def recorded_request(request: dict[str, Any], limit: int) -> dict[str, Any]:
    """What a call's execution records of ``request`` (``ctx.request``): all of it, but a body
    longer than ``limit`` bytes (as UTF-8 text, or compact JSON for a parsed body) becomes its
    first ``limit`` bytes as text, with ``body_truncated: true`` and ``body_bytes``, the size
    of the whole. The script itself always gets the whole body."""
    body = request.get("body")
    if body is None or isinstance(body, bool | int | float):
        return request
    if isinstance(body, str):
        text = body
    else:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    if len(text) * 4 <= limit:  # no character takes more than 4 bytes in UTF-8
        return request
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return request
    prefix = data[:limit].decode("utf-8", "ignore")  # a character cut in two is left out
    return {**request, "body": prefix, "body_truncated": True, "body_bytes": len(data)}


class Endpoints:
    """What one app's endpoint blueprint holds: its route cache and its counters."""

    # Unix seconds, for the rate limits' minute windows (a test moves it instead of waiting).
    clock: Callable[[], float] = staticmethod(time.time)

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        if clock is not None:
            self.clock = clock
        self.routes = RouteCache()
        self.local = LocalCounters()
        self._counters: Counters | None = None
        self._counters_url: Any = object()

    def counters(self, config: Mapping[str, Any]) -> Counters:
        url = config.get("JSSCRIPTS_HUEY_URL")
        if self._counters is None or url != self._counters_url:
            self._counters = counters_for(config, self.local)
            self._counters_url = url
        return self._counters

    def rate_limited(self, config: Mapping[str, Any], route: Route) -> int | None:
        """Seconds the caller should wait (Retry-After) when the endpoint's per-minute limit
        is used up, else None (and the call is counted)."""
        limit = rate_limit_of(route.auth_mode, route.rate_limit, config)
        if not limit:
            return None
        key = f"{route.script.tenant_id}:{route.endpoint_id}"
        wait = self.counters(config).hit(key, limit, self.clock())
        return None if wait is None else max(1, math.ceil(wait))

    def call(
        self,
        session: Session,
        rc: RunContext,
        route: Route,
        request: dict[str, Any],
        *,
        user: Any = None,
    ) -> Reply:
        """Run the route's script for ``request`` (``ctx.request``) and shape its answer."""
        sample = rc.config["JSSCRIPTS_HTTP_RECORD_SAMPLE"]
        record = recorded_request(request, rc.config["JSSCRIPTS_HTTP_RECORD_BODY_BYTES"])
        try:
            if sample >= 1:
                outcome = executions.run_for_outcome(
                    session, rc, route.script.id, "http", request, user=user, recorded_input=record
                )
            else:
                outcome = self._run_sampled(session, rc, route, request, record, user, sample)
        except RunRefused as exc:
            session.rollback()
            if exc.reason in ("script_concurrency", "tenant_concurrency"):
                return error_reply(429, exc.message, [("Retry-After", "1")], reason=exc.reason)
            return error_reply(404, NOT_FOUND)  # paused, disabled, switched off
        except NotFound:
            session.rollback()
            return error_reply(404, NOT_FOUND)
        except ValidationError:
            session.rollback()
            size = len(json.dumps(request, default=str).encode())
            if size > rc.config["JSSCRIPTS_MAX_INPUT_BYTES"]:
                return error_reply(413, "the request is too large")
            return error_reply(400, "the request cannot be passed to the script")
        return reply_of(outcome)

    def _run_sampled(
        self,
        session: Session,
        rc: RunContext,
        route: Route,
        request: dict[str, Any],
        record: dict[str, Any],
        user: Any,
        sample: float,
    ) -> RunOutcome:
        config = rc.config
        script = route.script
        keys = {
            "script": f"{script.tenant_id}:script:{script.id}",
            "tenant": f"{script.tenant_id}:tenant",
        }
        claims = [
            Claim(keys[cap.scope], cap.limit, cap.reason, cap.message)
            for cap in caps_of(script.limits, config)
        ]
        ttl = effective_limits(script.limits, config).timeout + DEADLINE_MARGIN.total_seconds()
        counters = self.counters(config)
        slot = counters.acquire(claims, ttl)
        if isinstance(slot, Claim):
            raise RunRefused(slot.message, slot.reason)
        try:
            return executions.run_then_record(
                session,
                rc,
                script,
                "http",
                request,
                user=user,
                keep=lambda result: _keep(result, sample),
                recorded_input=record,
            )
        finally:
            counters.release(slot)
