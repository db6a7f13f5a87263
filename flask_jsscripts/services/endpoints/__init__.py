"""HTTP endpoints: routing requests to scripts, API tokens, rate limits and the HTTP answer.

No Flask here: the blueprint (:mod:`flask_jsscripts.web.endpoints`) turns the request into a
plain dict and the :class:`Reply` back into a response. A script endpoint must stay cheap next
to a plain Flask view, hence the shape: ``routes`` (a matched request costs no query),
``counters`` (rate limits and concurrency slots, in Redis or in process), ``calls`` (recording
every call or a sample), ``replies`` (the answer) and ``tokens``.
"""

from ..errors import ValidationError
from .calls import Endpoints, rate_limit_of, recorded_request
from .counters import (
    RATE_WINDOW,
    REDIS_RETRY_SECONDS,
    Claim,
    Counters,
    LocalCounters,
    RedisCounters,
    Slot,
    counters_for,
)
from .replies import (
    DROPPED_HEADERS,
    ENVELOPE_KEYS,
    NOT_FOUND,
    Reply,
    error_reply,
    reply_of,
    response_parts,
    sanitise_headers,
)
from .routes import (
    MAX_CACHED_TENANTS,
    ROUTE_TTL,
    SESSION_LISTENERS,
    UNSAFE_METHODS,
    Route,
    RouteCache,
    RouteTable,
    load_routes,
    normalise_path,
)
from .tokens import TOKEN_PREFIX, hash_token, issue_token, revoke_token, token_matches

__all__ = [
    "DROPPED_HEADERS",
    "ENVELOPE_KEYS",
    "MAX_CACHED_TENANTS",
    "NOT_FOUND",
    "RATE_WINDOW",
    "REDIS_RETRY_SECONDS",
    "ROUTE_TTL",
    "TOKEN_PREFIX",
    "UNSAFE_METHODS",
    "ValidationError",
    "Claim",
    "Counters",
    "Endpoints",
    "LocalCounters",
    "RedisCounters",
    "Reply",
    "Route",
    "RouteCache",
    "RouteTable",
    "Slot",
    "counters_for",
    "error_reply",
    "hash_token",
    "SESSION_LISTENERS",
    "issue_token",
    "load_routes",
    "normalise_path",
    "rate_limit_of",
    "recorded_request",
    "reply_of",
    "response_parts",
    "revoke_token",
    "sanitise_headers",
    "token_matches",
]
