"""The pipe protocol between the parent and a sandbox worker.

One frame is one line of ASCII JSON (``json.dumps`` escapes everything else, so a frame never
contains a raw newline). Parent to worker: ``run``, ``compile``, ``reply`` (answer to a host
call) and ``exit``. Worker to parent: ``ready``, ``console``, ``log``, ``call``, ``result`` and
``compiled``. The parent treats every worker frame as untrusted input: a malformed or oversized
frame means the worker is killed and the run reported as crashed.
"""

from __future__ import annotations

import json
import os
import select
import time
from typing import Any

MAX_CONTROL_FRAME = 4 * 1_048_576  # anything but a result/compile answer must stay below this


class ProtocolError(Exception):
    """The peer sent something that is not a frame, or went away."""


def encode(frame: dict[str, Any]) -> bytes:
    return json.dumps(frame, ensure_ascii=True, separators=(",", ":")).encode("ascii") + b"\n"


_SAFE_INT = 2**53


def _js_int(text: str) -> int:
    # JavaScript prints a number beyond 2**53 with made-up trailing digits (2**60 comes out as
    # 1152921504606847000); read it back as the double it stands for, so Python sees the exact
    # value the script computed (2**60) instead of a different, nearby integer.
    value = int(text)
    return value if -_SAFE_INT <= value <= _SAFE_INT else int(float(text))


def decode(line: bytes) -> dict[str, Any]:
    try:
        frame = json.loads(line, parse_int=_js_int)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ProtocolError(f"malformed frame: {exc}") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("op"), str):
        raise ProtocolError("frame without an op")
    return frame


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


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
            if deadline is None:
                timeout_ms = -1
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                timeout_ms = max(1, int(remaining * 1000 + 0.999))
            if not self._poll.poll(timeout_ms):
                continue  # woke without data: loop re-checks the deadline
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                raise ProtocolError("worker closed its pipe")
            self._buffer += chunk
