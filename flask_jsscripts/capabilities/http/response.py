"""A response's headers and body: read within the caps as it arrives, decoded from its
charset (only those of :mod:`flask_jsscripts.charsets`), JSON bodies parsed."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterable, Mapping
from typing import Any

from ... import charsets
from ...runtime import HostCallError, jsonvalues
from ...runtime.protocol import json_values
from .errors import timeout_error, too_large

READ_CHUNK = 64 * 1024


def response_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def content_type(headers: Mapping[str, str]) -> tuple[str, str | None]:
    """The media type (lower case) and the ``charset`` parameter, if any."""
    mime, _, params = headers.get("content-type", "").partition(";")
    charset = None
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            charset = val.strip()
    return mime.strip().lower(), charset


def response_codec(headers: Mapping[str, str]) -> str:
    """The codec of the response's charset (UTF-8 when it names none); a charset outside
    the list is the script's error UNSUPPORTED_CHARSET, before the body is read."""
    _mime, charset = content_type(headers)
    try:
        return charsets.codec_for(charset)
    except charsets.UnsupportedCharset as exc:
        raise HostCallError("UNSUPPORTED_CHARSET", f"sdk.http: {exc}") from None


def body_value(headers: Mapping[str, str], text: str, max_values: int) -> Any:
    """JSON bodies (``application/json``, ``*+json``) parsed; anything else as text, and so
    is JSON a script could not hold (nested too deeply, numbers beyond a double) or that holds
    more than ``max_values`` values (counted before anything is built)."""
    mime, _charset = content_type(headers)
    if mime == "application/json" or mime.endswith("+json"):
        if json_values(text.encode("utf-8", "surrogatepass")) > max_values:
            return text
        try:
            value = jsonvalues.parse(text)
            jsonvalues.check(value)
        except jsonvalues.JSONValueError:
            return text  # not JSON after all: the script still gets what came
        return value
    return text


def read_body(
    response: http.client.HTTPResponse,
    headers: Mapping[str, str],
    codec: str,
    cap: int,
    deadline: float,
    timeout: float,
) -> str:
    """The body as text, decoded chunk by chunk as it arrives: decoding is linear in the size
    (``charsets``), and the deadline is checked after every chunk, so a large body in a slow
    charset cannot keep the run past the request's time limit."""
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise too_large(cap)
    decoder = charsets.incremental_decoder(codec)
    parts: list[str] = []
    size = 0
    while True:
        chunk = response.read(READ_CHUNK)
        size += len(chunk)
        if size > cap:
            raise too_large(cap)
        parts.append(decoder.decode(chunk, final=not chunk))
        if time.monotonic() > deadline:
            raise timeout_error(timeout)
        if not chunk:
            return "".join(parts)
