"""A script's request options (headers, query, body, timeout), checked and shaped."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .errors import bad_request

MAX_REQUEST_BYTES = 10 * 1024 * 1024
MAX_HEADERS = 100
# Headers the client owns: framing, routing and connection management are not the script's.
FORBIDDEN_HEADERS = frozenset(
    {
        "host",
        "connection",
        "content-length",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "keep-alive",
        "expect",
        "accept-encoding",  # the body is handed back as read: no compressed bodies
        "proxy-authorization",
        "proxy-connection",
    }
)
HEADER_NAME_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


@dataclass
class Request:
    method: str
    headers: dict[str, str]  # lower-case name -> value (the script's, validated)
    body: bytes | None
    deadline: float
    timeout: float


def prepare(method: str, options: Any, max_timeout: float) -> tuple[Request, str]:
    """The request ``options`` describe, and its query string; BAD_REQUEST when invalid."""
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise bad_request("options must be an object {headers, query, body, timeout}")
    unknown = set(options) - {"headers", "query", "body", "timeout"}
    if unknown:
        raise bad_request(f"unknown option(s): {', '.join(sorted(unknown))}")
    timeout = max_timeout
    if options.get("timeout") is not None:
        asked = options["timeout"]
        if isinstance(asked, bool) or not isinstance(asked, int | float) or not asked > 0:
            raise bad_request("timeout must be a positive number of seconds")
        timeout = min(timeout, float(asked))  # a script may only lower the server's cap
    headers = _headers(options.get("headers"))
    body = _body(options.get("body"), headers)
    query = _query(options.get("query"))
    return Request(method, headers, body, time.monotonic() + timeout, timeout), query


def title_case(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def _headers(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request("headers must be an object of name: value")
    if len(value) > MAX_HEADERS:
        raise bad_request(f"at most {MAX_HEADERS} headers")
    headers: dict[str, str] = {}
    for name, raw in value.items():
        if not HEADER_NAME_RE.fullmatch(name):
            raise bad_request(f"invalid header name {name[:50]!r}")
        lower = name.lower()
        if lower in FORBIDDEN_HEADERS or lower.startswith("proxy-"):
            raise bad_request(f"the header {name!r} is set by the server, not by scripts")
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise bad_request(f"the header {name!r} must be a string")
        text = str(raw)
        if any(ch in text for ch in "\r\n\0"):
            raise bad_request(f"the header {name!r} contains a line break")
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            raise bad_request(f"the header {name!r} must be Latin-1 text") from None
        headers[lower] = text
    return headers


def _query(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, dict):
        raise bad_request("query must be an object of name: value")
    pairs: list[tuple[str, str]] = []
    for name, raw in value.items():
        for item in raw if isinstance(raw, list) else [raw]:
            if item is None:
                continue
            if isinstance(item, bool):
                pairs.append((name, "true" if item else "false"))
            elif isinstance(item, str | int | float):
                pairs.append((name, str(item)))
            else:
                raise bad_request(f"query value of {name!r} must be a string, number or boolean")
    return urlencode(pairs)


def _body(value: Any, headers: dict[str, str]) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        data = value.encode("utf-8")
        headers.setdefault("content-type", "text/plain; charset=utf-8")
    else:
        data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers.setdefault("content-type", "application/json")
    if len(data) > MAX_REQUEST_BYTES:
        raise bad_request(f"the request body exceeds {MAX_REQUEST_BYTES} bytes")
    return data
