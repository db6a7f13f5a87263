"""Where the package's data lives: inside an installed wheel, or at the top of a checkout.

The wheel maps the repository's top-level folders into the package (``pyproject.toml``:
``migrations`` → ``flask_jsscripts/_migrations``, ``static/monaco`` →
``flask_jsscripts/_monaco``, ``translations`` → ``flask_jsscripts/translations``); a source
checkout keeps them where they are.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPOSITORY_DIR = PACKAGE_DIR.parent


def data_dir(packaged: str, checkout: str) -> str:
    """The folder ``packaged`` (a path inside the installed package) if it exists, else
    ``checkout`` (a path from the repository's root)."""
    try:
        found = resources.files("flask_jsscripts").joinpath(*packaged.split("/"))
        if found.is_dir():
            return str(found)
    except (ModuleNotFoundError, OSError, TypeError):  # pragma: no cover - exotic loaders
        pass
    return str(REPOSITORY_DIR.joinpath(*checkout.split("/")))


def translations_dir() -> str:
    """The catalogues of the extension's translation domain."""
    return data_dir("translations", "translations")


def migration_versions_dir() -> str:
    """The extension's Alembic revisions."""
    return data_dir("_migrations/versions", "migrations/versions")


def monaco_dir() -> str:
    """The vendored Monaco editor (``vs/`` inside)."""
    return data_dir("_monaco", "static/monaco")
