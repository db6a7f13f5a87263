"""A run's stored output, read without loading it whole: its size, a pretty-printed head for
pages and the CLI, and its JSON text piece by piece for a download.

``Execution.output`` is a JSON column holding up to ``JSSCRIPTS_MAX_OUTPUT_BYTES`` of text.
Reading the attribute builds the whole document as Python objects (tens of bytes per element,
then more again to print it); the functions here read byte ranges of its text instead, so
showing an output costs the size of what is shown, whatever the size of the output. The column
is deferred in the model, so listing or opening executions never reads it either.

How the bytes are read: PostgreSQL slices the text in the server (``substr`` of its UTF-8
bytes); SQLite, which runs inside the web process, would load the whole value for any SQL
function of it, so its text is read through SQLite's incremental BLOB I/O instead, a range of
pages at a time (a JSON number, which the column's numeric affinity stores as a number, and a
NULL are read with SQL: they are short).
"""

from __future__ import annotations

import codecs
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import LargeBinary, Text, cast, func, literal_column, select
from sqlalchemy.orm import Session

from ..models import Execution
from .errors import NotFound
from .scripts import plausible_id

PREVIEW_BYTES = 64 * 1024  # of the stored text read, and of pretty JSON shown, on a page
INLINE_BYTES = 1024 * 1024  # largest output the CLI's --json view carries as a value
CHUNK_BYTES = 1024 * 1024  # of the stored text read at a time for a download
INDENT = "  "


@dataclass(frozen=True)
class OutputHead:
    """The beginning of a stored output, pretty-printed."""

    text: str  # pretty JSON (two-space indent) of the first bytes of the output
    size: int  # bytes (UTF-8) of the whole stored JSON text
    more: int  # bytes of the stored text that ``text`` leaves out (0: all of it is shown)

    @property
    def complete(self) -> bool:
        return self.more == 0


def output_size(session: Session, execution_id: Any) -> int | None:
    """Bytes of the execution's stored JSON text; None when it has none. NotFound for an id
    that is not one of the current tenant's executions."""
    return _read(session, execution_id, 0, 0)[0]


def read_output_bytes(session: Session, execution_id: Any, start: int, count: int) -> bytes:
    """``count`` bytes (UTF-8) of the stored JSON text from offset ``start``: fewer at its end,
    none past it or when the execution has no stored output."""
    return _read(session, execution_id, start, count)[1]


def output_head(
    session: Session, execution_id: Any, max_bytes: int = PREVIEW_BYTES
) -> OutputHead | None:
    """The first ``max_bytes`` bytes of the stored output, pretty-printed into at most
    ``max_bytes`` characters; None when the execution has no stored output."""
    size, data = _read(session, execution_id, 0, max_bytes)
    if size is None:
        return None
    # a character that max_bytes cut in two is left out
    stored = codecs.getincrementaldecoder("utf-8")("replace").decode(data)
    text, used = pretty_json_head(stored, max_bytes)
    return OutputHead(text, size, size - len(stored[:used].encode("utf-8")))


def _read(session: Session, execution_id: Any, start: int, count: int) -> tuple[int | None, bytes]:
    """(bytes of the stored text or None, ``count`` of them from ``start``)."""
    if session.get_bind().dialect.name == "sqlite":
        _, rowid, kind = _row(
            session, execution_id, literal_column("rowid"), func.typeof(Execution.output)
        )
        if kind == "text":
            return _read_sqlite_text(session, rowid, start, count)
        text_bytes = cast(cast(Execution.output, Text), LargeBinary)
        length = func.length(text_bytes)
    else:
        text = cast(Execution.output, Text)
        text_bytes = func.convert_to(text, "UTF8")
        length = func.octet_length(text)
    size, data = _row(session, execution_id, length, func.substr(text_bytes, start + 1, count))[1:]
    return size, bytes(data or b"")


def _read_sqlite_text(session: Session, rowid: int, start: int, count: int) -> tuple[int, bytes]:
    raw = session.connection().connection.driver_connection
    try:
        with raw.blobopen(Execution.__tablename__, "output", rowid, readonly=True) as blob:
            size = len(blob)
            if count <= 0 or start >= size:
                return size, b""
            blob.seek(start)
            return size, blob.read(count)
    except sqlite3.Error:  # deleted (pruned) since its row was found
        raise NotFound("execution not found") from None


def _row(session: Session, execution_id: Any, *columns: Any) -> Any:
    """``columns`` of the current tenant's execution; NotFound for any other id."""
    row = None
    if plausible_id(execution_id):
        row = session.execute(
            select(Execution.id, *columns).where(Execution.id == execution_id)
        ).first()
    if row is None:
        raise NotFound("execution not found")
    return row


# A string (closed, or cut off by the end of a head), a structural character, a bare scalar,
# or whitespace.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)|[{}\[\],:]|[^\s{}\[\],:"]+|\s+', re.S)
_CLOSER = {"{": "}", "[": "]"}


def pretty_json_head(stored: str, budget: int) -> tuple[str, int]:
    """Pretty-print the head of a JSON text as ``json.dumps(value, indent=2,
    ensure_ascii=False)`` prints the whole document, token by token, without parsing it:
    ``stored`` may stop anywhere, even inside a string.

    Returns the pretty text, at most ``budget`` characters, and how many characters of
    ``stored`` it shows. A scalar cut by the budget is shown as far as it fits. Each level of
    nesting indents a line by two more spaces: deep nesting fills the budget with
    indentation, it cannot make the text grow past it."""
    out: list[str] = []
    length = used = 0
    for piece, end, scalar_start in _pretty_pieces(stored):
        if length + len(piece) > budget:
            if scalar_start is not None:
                shown = piece[: budget - length]
                out.append(shown)
                used = scalar_start + _stored_length(shown)
            break
        out.append(piece)
        length += len(piece)
        used = end
    else:
        used = len(stored)
    return "".join(out), used


def _pretty_pieces(stored: str) -> Iterator[tuple[str, int, int | None]]:
    """(pretty text, offset in ``stored`` up to which it shows, start offset of a scalar)."""
    level = 0
    opened: tuple[str, int] | None = None  # "{" or "[" not written yet: "{}" stays one piece
    for match in _TOKEN.finditer(stored):
        token = match.group()
        if token.isspace():
            continue
        if opened is not None:
            bracket, _ = opened
            opened = None
            if token == _CLOSER[bracket]:
                yield bracket + token, match.end(), None
                continue
            level += 1
            yield bracket + "\n" + INDENT * level, match.start(), None
        if token in _CLOSER:
            opened = (token, match.end())
        elif token in ("]", "}"):
            level = max(0, level - 1)
            yield "\n" + INDENT * level + token, match.end(), None
        elif token == ",":
            yield ",\n" + INDENT * level, match.end(), None
        elif token == ":":
            yield ": ", match.end(), None
        else:
            shown, length = _display(token)
            yield shown, match.start() + length, match.start()


_SURROGATE = re.compile("[\ud800-\udfff]")
_TRAILING_ESCAPE = re.compile(r"(\\+)(u[0-9a-fA-F]{0,3})?\Z")  # a backslash, maybe a cut \\u
_TRAILING_HIGH_HALF = re.compile(r"(\\+)u[dD][89abAB][0-9a-fA-F]{2}\Z")  # half of a pair


def _display(token: str) -> tuple[str, int]:
    """A scalar as ``json.dumps(ensure_ascii=False)`` writes it (stored strings escape every
    non-ASCII character as ``\\u0436``, a page shows the character), and how many characters
    of ``token`` that shows. A string cut off by the end of the head shows up to its last
    whole character."""
    if token[0] != '"':
        return token, len(token)
    closed = len(token) > 1 and token.endswith('"') and _escaped_backslashes(token[:-1])
    body = token if closed else _without_cut_escape(token)
    if "\\u" not in body:
        return body, len(body)
    try:
        value = json.loads(body if closed else body + '"')
    except ValueError:  # not a string JSON can read: shown as stored
        return body, len(body)
    if _SURROGATE.search(value):  # a page cannot hold a lone surrogate: shown as stored
        return body, len(body)
    shown = json.dumps(value, ensure_ascii=False)
    return (shown if closed else shown[:-1]), len(body)


def _escaped_backslashes(text: str) -> bool:
    """Whether the backslashes ``text`` ends with (if any) escape each other, in pairs."""
    return (len(text) - len(text.rstrip("\\"))) % 2 == 0


def _without_cut_escape(body: str) -> str:
    """A cut string without the escape or surrogate pair the cut went through."""
    for pattern in (_TRAILING_ESCAPE, _TRAILING_HIGH_HALF):
        match = pattern.search(body)
        if match and len(match.group(1)) % 2:  # its last backslash starts an escape
            body = body[: match.start() + len(match.group(1)) - 1]
    return body


def _stored_length(shown: str) -> int:
    """Characters that the beginning ``shown`` of a scalar takes in the stored text, which
    escapes each character from U+007F as ``\\uXXXX`` (two of them beyond U+FFFF)."""
    return len(shown) + sum(5 if ord(c) <= 0xFFFF else 11 for c in shown if ord(c) >= 0x7F)
