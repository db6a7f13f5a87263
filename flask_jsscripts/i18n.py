"""The extension's own translation domain (``flask_jsscripts``), independent of the host's.

Flask-Babel's global ``gettext`` and the Jinja ``_`` it installs translate with the *host's*
domain (``messages``). Everything the extension shows goes through the functions here instead:

* ``gettext`` / ``ngettext`` / ``lazy_gettext`` translate with our ``Domain`` whose catalogues
  live in the package (``flask_jsscripts/translations`` when installed from a wheel, the
  repository's top-level ``translations/`` in a source checkout);
* when the host never set up Flask-Babel (no ``babel`` in ``app.extensions``), or outside a
  request/app context (CLI, Huey tasks), they return the English text, formatted;
* a message missing from our catalogue falls back to the host's domain. That matters because
  the blueprint binds ``_`` to these functions for the whole render of its pages, and that
  render includes the host's layout (``JSSCRIPTS_BASE_TEMPLATE``): the host's own strings keep
  their translation.

String extraction: ``pybabel extract -F babel.cfg -k lazy_gettext --sort-output
-o translations/flask_jsscripts.pot .`` at the repository root (``babel.cfg`` configures Python
and Jinja); ``translations/README.md`` has the update and compile steps. Modules that only need lazy
strings import ``lazy_gettext as _`` so that even a plain ``pybabel extract`` finds them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import current_app, has_request_context

from .resources import translations_dir

DOMAIN = "flask_jsscripts"


@lru_cache(maxsize=1)
def domain() -> Any:
    """Our Flask-Babel ``Domain`` (created on first use: importing this module is free)."""
    from flask_babel import Domain

    return Domain(translation_directories=[translations_dir()], domain=DOMAIN)


def _babel_active() -> bool:
    return has_request_context() and "babel" in current_app.extensions


def _format(text: str, variables: dict[str, Any]) -> str:
    return text % variables if variables else text


def gettext(string: str, **variables: Any) -> str:
    """Translate ``string`` in our domain (host domain as fallback); ``%(name)s`` formatting."""
    if not _babel_active():
        return _format(string, variables)
    translated = domain().get_translations().ugettext(string)
    if translated == string:
        import flask_babel

        translated = flask_babel.get_translations().ugettext(string)
    return _format(translated, variables)


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """Plural-aware translation; ``%(num)d`` is available in both forms."""
    variables.setdefault("num", num)
    if not _babel_active():
        return _format(singular if num == 1 else plural, variables)
    translations = domain().get_translations()
    translated = translations.ungettext(singular, plural, num)
    if translated in (singular, plural):
        import flask_babel

        translated = flask_babel.get_translations().ungettext(singular, plural, num)
    return _format(translated, variables)


class LazyString:
    """A string translated when it is used (form labels are built at import time)."""

    __slots__ = ("_string", "_variables")

    def __init__(self, string: str, variables: dict[str, Any]) -> None:
        self._string = string
        self._variables = variables

    def __str__(self) -> str:
        return gettext(self._string, **self._variables)

    def __html__(self) -> str:  # Jinja: escape like any other text
        from markupsafe import escape

        return str(escape(str(self)))

    def __repr__(self) -> str:
        return f"lazy_gettext({self._string!r})"

    def __len__(self) -> int:
        return len(str(self))

    def __eq__(self, other: object) -> bool:
        return str(self) == (str(other) if isinstance(other, LazyString) else other)

    def __hash__(self) -> int:
        return hash(self._string)

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)

    def __mod__(self, other: Any) -> str:
        return str(self) % other

    def __getattr__(self, name: str) -> Any:
        return getattr(str(self), name)


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    return LazyString(string, variables)


def locale_name() -> str:
    """The current locale for ``<html lang>`` ("en" without Flask-Babel)."""
    if _babel_active():
        import flask_babel

        locale = flask_babel.get_locale()
        if locale is not None:
            return str(locale).replace("_", "-")
    return "en"
