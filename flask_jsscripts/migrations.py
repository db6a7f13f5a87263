"""Hook the extension's Alembic branch into the host's Flask-Migrate setup.

The extension ships its revisions as an independent base (``branch_labels=("jsscripts",)``).
A Flask-Migrate configure callback appends their folder to the host's ``version_locations``
(keeping the host's own folder, and switching to ``path_separator = os`` so paths with spaces
survive), so ``flask db upgrade heads`` applies both histories. The same hook tells the host's
autogenerate to ignore ``jsscripts_*`` tables: their schema belongs to these migrations.

What hosts must know (README): use ``flask db upgrade heads``; a host with no revisions of its
own creates its base first (``flask db revision --head base --version-path migrations/versions``)
or its next ``flask db migrate`` lands in the package's folder.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, appcontext_pushed, current_app, has_app_context

from .models import is_extension_table
from .resources import migration_versions_dir as versions_path

_MARK = "_jsscripts_configured"


def add_version_location(config: Any) -> Any:
    """Flask-Migrate configure callback: add our versions folder to the host's locations."""
    if not has_app_context() or "jsscripts" not in current_app.extensions:
        return config  # a Migrate shared with an app that does not use the extension
    script_location = config.get_main_option("script_location")
    prepend = config.get_prepend_sys_paths_list() or []
    locations = [str(p) for p in (config.get_version_locations_list() or [])]
    if not locations and script_location:
        locations = [os.path.join(script_location, "versions")]
    ours = versions_path()
    if all(os.path.abspath(p) != os.path.abspath(ours) for p in locations):
        locations.append(ours)
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", _escape(os.pathsep.join(locations)))
    if prepend:
        config.set_main_option("prepend_sys_path", _escape(os.pathsep.join(prepend)))
    return config


def _escape(value: str) -> str:
    return value.replace("%", "%%")  # ConfigParser interpolation


def _wrap_include_object(configure_args: dict[str, Any]) -> None:
    """Make the host's autogenerate skip the extension's tables (and keep its own filter)."""
    host_filter = configure_args.get("include_object")
    if getattr(host_filter, _MARK, False):
        return

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any):
        table_name = (
            name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        )
        if is_extension_table(table_name):
            return False
        return host_filter(obj, name, type_, reflected, compare_to) if host_filter else True

    setattr(include_object, _MARK, True)
    configure_args["include_object"] = include_object


def _configure_migrate(app: Flask) -> bool:
    """Attach to ``app.extensions['migrate']`` if Flask-Migrate is set up; True when done."""
    migrate_config = app.extensions.get("migrate")
    if migrate_config is None:
        return False
    migrate = migrate_config.migrate
    if add_version_location not in migrate.configure_callbacks:
        migrate.configure(add_version_location)
    _wrap_include_object(migrate_config.configure_args)
    return True


def init_migrations(app: Flask) -> None:
    """Register the hook now, or on the first app context if ``Migrate`` is set up later."""
    if _configure_migrate(app):
        return

    def on_push(sender: Flask, **_: Any) -> None:
        if _configure_migrate(sender):
            appcontext_pushed.disconnect(on_push, sender)

    appcontext_pushed.connect(on_push, app, weak=False)
