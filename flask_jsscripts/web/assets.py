"""Where the UI's static assets live, installed or in a source checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# Monaco's files never change under a given URL (the version is pinned): cache for a year.
MONACO_MAX_AGE = 365 * 24 * 3600


def monaco_dir() -> str:
    """The vendored Monaco (``vs/`` inside): the wheel's ``flask_jsscripts/_monaco``, else the
    repository's top-level ``static/monaco`` (same pattern as ``migrations.versions_path``)."""
    try:
        packaged = resources.files("flask_jsscripts").joinpath("_monaco")
        if packaged.is_dir():
            return str(packaged)
    except (ModuleNotFoundError, OSError, TypeError):  # pragma: no cover - exotic loaders
        pass
    return str(PACKAGE_DIR.parent / "static" / "monaco")


def static_dir() -> str:
    """The blueprint's own static folder (CSS, ui.js, editor.js, sdk.d.ts, vendored htmx)."""
    return str(PACKAGE_DIR / "static" / "jsscripts")


def templates_dir() -> str:
    return str(PACKAGE_DIR / "templates")
