"""What one test process may use without colliding with the others of a ``pytest -n`` run.

pytest-xdist names its worker processes ``gw0``, ``gw1``, …; a run without xdist counts as
``gw0``. Databases and temporary folders are unique by name already; ports come from the
kernel; only the Redis databases of the machine's server need to be shared out.
"""

from __future__ import annotations

import os
import socket

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
WORKER_INDEX = int(WORKER.removeprefix("gw") or 0)


def redis_url(variable: str, defaults: str) -> str:
    """This worker's Redis database. ``variable`` (else ``defaults``) lists one URL per
    worker, comma-separated; a test that flushes its database must not flush another
    worker's."""
    urls = [u.strip() for u in os.environ.get(variable, defaults).split(",") if u.strip()]
    if len(urls) <= WORKER_INDEX:
        raise RuntimeError(
            f"{variable} lists {len(urls)} Redis URL(s), worker {WORKER} needs its own: "
            "give one per worker, comma-separated (or run with -n 0)"
        )
    return urls[WORKER_INDEX]


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
