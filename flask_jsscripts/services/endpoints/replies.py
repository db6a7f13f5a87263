"""The HTTP answer of a run: what ``main`` returned turned into a status, safe headers and
a body, or the error an endpoint call ends in."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..executions import POOL_BUSY, RunOutcome


@dataclass
class Reply:
    """What the blueprint sends back (no Flask objects)."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    execution_id: str | None = None


def error_reply(
    status: int, message: str, headers: Iterable[tuple[str, str]] = (), **fields: Any
) -> Reply:
    body = json.dumps({"error": message, **fields}).encode()
    return Reply(status, body, "application/json", list(headers), fields.get("execution_id"))


NOT_FOUND = "not found"
ENVELOPE_KEYS = frozenset({"status", "headers", "body"})
# Hop-by-hop headers, framing the server computes, and cookies (the host's own cookies,
# its session included, live on the same domain: a script must not set or replace them).
DROPPED_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "set-cookie",
        "date",
        "server",
    }
)
HEADER_NAME_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}")
MAX_HEADERS = 50
MAX_HEADER_VALUE = 8192


def sanitise_headers(raw: Any) -> list[tuple[str, str]]:
    """The script's response headers that are safe to send: string names and values, no
    hop-by-hop or framing headers, no cookies, nothing that could split a header."""
    if not isinstance(raw, dict):
        return []
    out: list[tuple[str, str]] = []
    for name, value in raw.items():
        if len(out) >= MAX_HEADERS:
            break
        if not isinstance(name, str) or not isinstance(value, str):
            continue
        if not HEADER_NAME_RE.fullmatch(name) or name.lower() in DROPPED_HEADERS:
            continue
        if len(value) > MAX_HEADER_VALUE or any(c in value for c in "\r\n\x00"):
            continue
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            continue
        out.append((name, value))
    return out


def response_parts(value: Any) -> tuple[int, list[tuple[str, str]], Any, bool] | None:
    """``(status, headers, body, is_envelope)`` of what ``main`` returned, or None when it
    returned an envelope with an unusable status. An envelope is an object with a numeric
    ``status`` and no keys besides status, headers and body; anything else is the JSON body
    of a 200."""
    if (
        isinstance(value, dict)
        and "status" in value
        and ENVELOPE_KEYS.issuperset(value)
        and isinstance(value["status"], int | float)
        and not isinstance(value["status"], bool)
    ):
        status = value["status"]
        if status != int(status) or not 200 <= status <= 599:
            return None
        return int(status), sanitise_headers(value.get("headers")), value.get("body"), True
    return 200, [], value, False


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def reply_of(outcome: RunOutcome) -> Reply:
    """The HTTP answer of a finished run."""
    result = outcome.result
    execution_id = outcome.execution_id if outcome.recorded else None
    if result.status == "timeout":
        return error_reply(504, "the script timed out", execution_id=execution_id)
    if result.status != "completed":
        if (result.error or {}).get("code") == POOL_BUSY:
            return error_reply(503, "no sandbox worker is free; try again", [("Retry-After", "1")])
        return error_reply(500, "the script failed", execution_id=execution_id)
    parts = response_parts(result.value)
    if parts is None:
        return error_reply(
            500, "the script returned an invalid HTTP status", execution_id=execution_id
        )
    status, headers, body, envelope = parts
    content_type = None
    kept = []
    for name, value in headers:
        if name.lower() == "content-type":
            content_type = value
        else:
            kept.append((name, value))
    if status in (204, 304) or (envelope and body is None):
        payload = b""
    elif envelope and isinstance(body, str):
        payload = body.encode("utf-8")
        content_type = content_type or "text/plain; charset=utf-8"
    else:
        payload = _json(body)
        content_type = content_type or "application/json"
    if status in (204, 304):
        content_type = None
    return Reply(status, payload, content_type, kept, execution_id)
