"""What the benchmark scripts share: percentiles, a scratch PostgreSQL database and the sandbox
prelude of another revision."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


ROOT = Path(__file__).resolve().parent.parent
# Every file a context has evaluated before user code in some revision, in prelude order.
PRELUDE_HISTORY = (
    "polyfills.js",
    "core-js.js",
    "regenerator-runtime.js",
    "intl.js",
    "intrinsics.js",
    "shim.js",
)


def prelude_at(rev: str) -> tuple[str, ...]:
    """The prelude sources of git revision ``rev`` (a file it does not have is left out)."""
    sources = []
    for name in PRELUDE_HISTORY:
        shown = subprocess.run(
            ["git", "show", f"{rev}:flask_jsscripts/runtime/js/{name}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if shown.returncode == 0:
            sources.append(shown.stdout)
    return tuple(sources)


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextmanager
def scratch_pg_database(server: str, prefix: str) -> Iterator[str]:
    """A new, empty database on ``server``; yields its URL and drops it afterwards."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
