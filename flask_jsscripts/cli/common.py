"""What every ``flask jsscripts`` command shares: the group, the tenant option, the failures
(and their exit codes), the tenant scope of a command and the output helpers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .. import tenancy
from ..models import Script
from ..services import scripts
from ..services.errors import NotFound, ServiceError
from ..state import current_state

CLI_ACTOR = "cli"  # recorded as author/created_by of what the CLI writes
TENANT_ENV = "JSSCRIPTS_TENANT"

jsscripts = AppGroup("jsscripts", help="Manage flask-jsscripts scripts.")

tenant_option = click.option(
    "--tenant",
    "-t",
    required=True,
    envvar=TENANT_ENV,
    help=f"Tenant key to work in (or set {TENANT_ENV}).",
)


class UsageFailure(click.ClickException):
    """Bad usage: shown as one ``Error:`` line on stderr, exit code 2."""

    exit_code = 2


class CommandFailure(click.ClickException):
    """The command ran but its work failed (e.g. the database): exit code 1."""

    exit_code = 1


def session() -> Session:
    return current_state().db.session


@contextmanager
def command_scope(tenant: str | None) -> Iterator[None]:
    """The tenant scope of a command, turning every expected failure into a clean exit.

    Service errors are the user's (exit 2); database errors are the system's (exit 1). The
    session is rolled back so that a failed command leaves nothing half-written.
    """
    try:
        # `is not None`: an empty --tenant must be refused, never mean "every tenant"
        with tenancy.tenant_scope(tenant) if tenant is not None else tenancy.all_tenants():
            yield
    except tenancy.TenantScopeError as exc:
        session().rollback()
        raise UsageFailure(str(exc)) from None
    except ServiceError as exc:
        session().rollback()
        raise UsageFailure(exc.message) from None
    except SQLAlchemyError as exc:
        session().rollback()
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CommandFailure(f"database error: {first_line}") from None


def resolve_script(db_session: Session, name_or_id: str) -> Script:
    """A script by id, else by name (a name shaped like another script's id loses to the id)."""
    try:
        return scripts.get_script(db_session, name_or_id)
    except NotFound:
        pass
    try:
        return scripts.get_script_by_name(db_session, name_or_id)
    except NotFound:
        raise NotFound(f"script {name_or_id!r} not found") from None


def dumps(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent, default=str)


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else "-"


def table(rows: list[list[str]], headers: list[str]) -> str:
    """Left-aligned columns under a header line and a dashed rule."""
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]
    lines = [headers, ["-" * w for w in widths], *rows]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in lines
    )


def error_position(error: dict[str, Any]) -> str:
    """`` (line L, column C)`` in the admin's source, as much of it as is known."""
    if not error.get("line"):
        return ""
    column = f", column {error['column']}" if error.get("column") else ""
    return f" (line {error['line']}{column})"


def run_status(status: str, end_reason: str | None) -> str:
    """``failed (timeout)``: the status, with the end reason when it says more."""
    return f"{status} ({end_reason})" if end_reason and end_reason != status else status
