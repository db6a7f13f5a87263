"""The admin UI: a blueprint of server-rendered pages (Jinja + htmx + Monaco).

:func:`create_blueprint` builds a fresh blueprint per app (``init_app`` registers it under
``JSSCRIPTS_URL_PREFIX``); see :mod:`flask_jsscripts.web.views` for the routes.
"""

from __future__ import annotations

from .views import create_blueprint

__all__ = ["create_blueprint"]
