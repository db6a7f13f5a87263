"""The pipe protocol between the parent and a sandbox worker.

One frame is one line of ASCII JSON (``json.dumps`` escapes everything else, so a frame never
contains a raw newline). Parent to worker: ``run``, ``compile``, ``reply`` (answer to a host
call) and ``exit``. Worker to parent: ``ready``, ``console``, ``log``, ``call``, ``result`` and
``compiled``. The parent treats every worker frame as untrusted input: a malformed or oversized
frame means the worker is killed and the run reported as crashed.

A decoded frame holds only what an honest worker can send, so whatever the parent takes from it
can be stored and shown: no NaN or Infinity and no number beyond a double (JSON.stringify never
writes them; PostgreSQL's json type refuses NaN), and no lone surrogate (the shim turns them into
U+FFFD; so does decode, as an HTML page or a UTF-8 log cannot hold one). Writes to a worker can
carry a deadline: a worker that stops reading its pipe must not block the parent forever.
"""

from __future__ import annotations

import json
import os
import re
import select
import time
from typing import Any

from . import jsonvalues

MAX_CONTROL_FRAME = 4 * 1_048_576  # anything but a result/compile answer must stay below this


class ProtocolError(Exception):
    """The peer sent something that is not a frame, or went away."""


def encode(frame: dict[str, Any]) -> bytes:
    """One frame as a line of ASCII JSON; ValueError for NaN or Infinity (not JSON)."""
    text = json.dumps(frame, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.encode("ascii") + b"\n"


# A \uD800-\uDFFF escape, half of a pair (an emoji) or a lone surrogate: only then look closer.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # json.loads has joined the proper pairs


def _replace_lone_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_replace_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_replace_lone_surrogates(k): _replace_lone_surrogates(v) for k, v in value.items()}
    return value


# One decoder for every frame: json.loads with hooks builds a new one per call.
_DECODER = json.JSONDecoder(
    parse_int=jsonvalues.parse_js_integer,
    parse_float=jsonvalues.finite_float,
    parse_constant=jsonvalues.refuse_constant,
)


def decode(line: bytes) -> dict[str, Any]:
    """The frame in ``line``, holding only storable values (see above); ProtocolError for
    anything else."""
    try:
        # ASCII decoded here: json.loads itself would take UTF-8 (encoded surrogates too)
        # and guess UTF-16/32 from the bytes
        frame = _DECODER.decode(line.decode("ascii"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ProtocolError(f"malformed frame: {exc}") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("op"), str):
        raise ProtocolError("frame without an op")
    if _SURROGATE_ESCAPE.search(line):
        try:
            try:
                json.dumps(frame, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError:
                frame = _replace_lone_surrogates(frame)
        except RecursionError:
            raise ProtocolError("malformed frame: nested too deeply") from None
    return frame


def write_all(fd: int, data: bytes, deadline: float | None = None) -> bool:
    """Write all of ``data``. With a ``deadline`` (monotonic), give up when it passes and
    return False: a worker that stops reading (its pipe full) must not block the parent's write
    past the run's timeout. A deadline needs a
    non-blocking ``fd`` (the parent's pipes to its workers are: see ``pool.WorkerProcess``)."""
    view = memoryview(data)
    poll = None
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            if poll is None:
                poll = select.poll()
                poll.register(fd, select.POLLOUT)
            if deadline is None:
                poll.poll()
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            poll.poll(max(1, int(remaining * 1000 + 0.999)))
            continue
        view = view[written:]
    return True


class FrameReader:
    """Reads newline-delimited frames from a pipe with a deadline, never holding the GIL
    while it waits (``poll`` releases it)."""

    def __init__(self, fd: int):
        self.fd = fd
        self._buffer = bytearray()
        self._poll = select.poll()
        self._poll.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)

    def read(self, deadline: float | None, max_bytes: int = MAX_CONTROL_FRAME) -> bytes | None:
        """The next line (without newline), or None when ``deadline`` (monotonic) passes.

        Raises ProtocolError at end of file or when a line grows past ``max_bytes``.
        """
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                line = bytes(self._buffer[:newline])
                del self._buffer[: newline + 1]
                return line
            if len(self._buffer) > max_bytes:
                raise ProtocolError(f"frame larger than {max_bytes} bytes")
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                if not self._poll.poll(max(1, int(remaining * 1000 + 0.999))):
                    continue  # woke without data: loop re-checks the deadline
            # without a deadline a blocking read waits as poll would (one system call less)
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                raise ProtocolError("worker closed its pipe")
            self._buffer += chunk


_SPLIT_EVERY = 1 << 16  # bytes of frame text split at once: bounds the pieces alive together


def json_values(text: bytes) -> int:
    """How many JSON values (objects, arrays, strings, numbers, booleans, nulls; object keys not
    counted) the JSON text ``text`` holds, counted on the bytes without building any of them.

    Exact for JSON without whitespace (all a worker writes); whitespace inside an empty ``[ ]``
    or ``{ }`` counts one value more. Outside strings there are 1 + commas + non-empty
    containers values. Strings are cut out piecewise (split at quotes, a slice of text at a
    time, each slice ending before an opening quote) so that no step allocates per string
    more than a slice's worth: the memory stays proportional to the bytes, whatever they hold.
    """
    if b"\\" in text:  # escaped backslashes and quotes: then every quote left delimits a string
        text = text.replace(b"\\\\", b"").replace(b'\\"', b"")
    if b'"' not in text:
        return _values_outside_strings(text)
    total = 1
    start, end = 0, len(text)
    while start < end:
        stop = text.find(b'"', start + _SPLIT_EVERY)
        if stop >= 0 and text.count(b'"', start, stop) % 2:
            stop = text.find(b'"', stop + 1)  # that quote closed a string; the next opens one
        if stop < 0:
            stop = end
        bare = b"0".join(text[start:stop].split(b'"')[0::2])  # each string becomes one 0
        total += _values_outside_strings(bare) - 1
        start = stop
    return total


def _values_outside_strings(bare: bytes) -> int:
    return (
        1
        + bare.count(b",")
        + bare.count(b"[")
        + bare.count(b"{")
        - bare.count(b"[]")
        - bare.count(b"{}")
    )
