"""Where the UI's static assets live, installed or in a source checkout."""

from __future__ import annotations

from ..resources import PACKAGE_DIR, monaco_dir

__all__ = ["MONACO_MAX_AGE", "monaco_dir", "static_dir", "templates_dir"]

# Monaco's files never change under a given URL (the version is pinned): cache for a year.
MONACO_MAX_AGE = 365 * 24 * 3600


def static_dir() -> str:
    """The blueprint's own static folder (CSS, ui.js, editor.js, sdk.d.ts, vendored htmx)."""
    return str(PACKAGE_DIR / "static" / "jsscripts")


def templates_dir() -> str:
    return str(PACKAGE_DIR / "templates")
