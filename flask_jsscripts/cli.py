"""``flask jsscripts ...``: list, run, export, import, prune and reap from a terminal.

Every command that touches data runs inside :func:`tenancy.tenant_scope` (or
:func:`tenancy.all_tenants` for the system jobs), exactly like a view or a task, so the CLI is
no back door around tenant isolation.

Exit codes, so shell scripts can rely on them: 0 success; 1 the script run did not complete
(or the database failed); 2 bad usage (unknown script, bad JSON, an invalid document, a refused
run). Errors are printed as one ``Error: ...`` line on stderr, never as a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import IO, Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import and_, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from . import jsonvalues, tenancy
from .models import SCRIPT_STATUSES, SCRIPT_TYPES, DeadLetter, Execution, Script
from .services import dead_letters, events, executions, outputs, scripts, transfer
from .services.errors import NotFound, ServiceError, ValidationError
from .state import current_state

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


# --- plumbing ------------------------------------------------------------------------------


def _session() -> Session:
    return current_state().db.session


@contextmanager
def _scope(tenant: str | None) -> Iterator[None]:
    """The tenant scope of a command, turning every expected failure into a clean exit.

    Service errors are the user's (exit 2); database errors are the system's (exit 1). The
    session is rolled back so that a failed command leaves nothing half-written.
    """
    try:
        # `is not None`: an empty --tenant must be refused, never mean "every tenant"
        with tenancy.tenant_scope(tenant) if tenant is not None else tenancy.all_tenants():
            yield
    except tenancy.TenantScopeError as exc:
        _session().rollback()
        raise UsageFailure(str(exc)) from None
    except ServiceError as exc:
        _session().rollback()
        raise UsageFailure(exc.message) from None
    except SQLAlchemyError as exc:
        _session().rollback()
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CommandFailure(f"database error: {first_line}") from None


def _resolve(session: Session, name_or_id: str) -> Script:
    """A script by id, else by name (a name shaped like another script's id loses to the id)."""
    try:
        return scripts.get_script(session, name_or_id)
    except NotFound:
        pass
    try:
        return scripts.get_script_by_name(session, name_or_id)
    except NotFound:
        raise NotFound(f"script {name_or_id!r} not found") from None


def _dumps(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent, default=str)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else "-"


# --- list ----------------------------------------------------------------------------------


def _all_scripts(session: Session, **filters: str) -> list[Script]:
    """Every matching script (the service pages; a terminal wants them all)."""
    items: list[Script] = []
    page = 1
    while True:
        result = scripts.list_scripts(session, page=page, per_page=200, **filters)
        items.extend(result.items)
        if page >= result.pages:
            return items
        page += 1


def _last_runs(session: Session, script_ids: list[str]) -> dict[str, Execution]:
    """The newest execution of each script, in one query."""
    if not script_ids:
        return {}
    newest = (
        select(Execution.script_id, func.max(Execution.created_at).label("at"))
        .where(Execution.script_id.in_(script_ids))
        .group_by(Execution.script_id)
        .subquery()
    )
    rows = session.scalars(
        select(Execution).join(
            newest,
            and_(Execution.script_id == newest.c.script_id, Execution.created_at == newest.c.at),
        )
    )
    return {row.script_id: row for row in rows}


def _list_row(script: Script, last: Execution | None) -> dict[str, Any]:
    return {
        "id": script.id,
        "name": script.name,
        "type": script.type,
        "status": script.status,
        "version": script.current_version,
        "tags": list(script.tags or []),
        "last_run": None
        if last is None
        else {"status": last.status, "at": last.created_at.isoformat()},
    }


TABLE_HEADERS = ["NAME", "TYPE", "STATUS", "VERSION", "LAST RUN", "AT"]


def _table(rows: list[list[str]], headers: list[str] = TABLE_HEADERS) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=False)]
    lines = [headers, ["-" * w for w in widths], *rows]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in lines
    )


@jsscripts.command("list")
@tenant_option
@click.option("--type", "type_", type=click.Choice(SCRIPT_TYPES), help="Only this type.")
@click.option("--status", type=click.Choice(SCRIPT_STATUSES), help="Only this status.")
@click.option("--search", default="", help="Text in the name or description.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(
    tenant: str, type_: str | None, status: str | None, search: str, as_json: bool
) -> None:
    """List the tenant's scripts with their last run."""
    with _scope(tenant):
        session = _session()
        items = _all_scripts(session, search=search, type=type_ or "", status=status or "")
        last = _last_runs(session, [s.id for s in items])
        rows = [_list_row(s, last.get(s.id)) for s in items]
    if as_json:
        click.echo(_dumps(rows, indent=2))
    elif not rows:
        click.echo("no scripts")
    else:
        click.echo(_table([_table_row(s, last.get(s.id)) for s in items]))


def _table_row(script: Script, last: Execution | None) -> list[str]:
    return [
        script.name,
        script.type,
        script.status,
        f"v{script.current_version}",
        last.status if last else "-",
        _when(last.created_at) if last else "-",
    ]


# --- run -----------------------------------------------------------------------------------


def _read_input(text: str | None, file: IO[str] | None) -> Any:
    """The run's input from ``--input`` or ``--input-file`` (not both); None when neither."""
    if text is not None and file is not None:
        raise UsageFailure("give either --input or --input-file, not both")
    try:
        raw = file.read() if file is not None else text
    except UnicodeDecodeError:
        raise UsageFailure("the input file is not UTF-8 text") from None
    if raw is None:
        return None
    try:
        return jsonvalues.parse(raw)
    except jsonvalues.JSONValueError as exc:
        raise UsageFailure(f"the input is not valid JSON: {exc}") from None


def _execution_view(execution: Execution, head: outputs.OutputHead | None) -> dict[str, Any]:
    """The run as JSON: its output inline up to ``outputs.INLINE_BYTES`` (bigger ones are left
    out, ``output_truncated``: ``--output-file`` writes them)."""
    inline = head is not None and head.size <= outputs.INLINE_BYTES
    return {
        "id": execution.id,
        "status": execution.status,
        "end_reason": execution.end_reason,
        "version": execution.version,
        "output": execution.output if inline else None,
        "output_bytes": head.size if head is not None else None,
        "output_truncated": head is not None and not inline,
        "error": execution.error,
        "console": execution.console,
        "logs": execution.logs,
        "metrics": execution.metrics,
    }


def _write_output(session: Session, execution_id: str, path: str) -> int:
    """Write the stored output's JSON text to ``path`` a piece at a time; its size in bytes."""
    written = 0
    with open(path, "wb") as fh:
        while True:
            piece = outputs.read_output_bytes(session, execution_id, written, outputs.CHUNK_BYTES)
            fh.write(piece)
            written += len(piece)
            if len(piece) < outputs.CHUNK_BYTES:
                return written


def _print_run(view: dict[str, Any], head: outputs.OutputHead | None) -> None:
    reason = view["end_reason"]
    detail = f" ({reason})" if reason and reason != view["status"] else ""
    click.echo(f"status: {view['status']}{detail}")
    if view["status"] == "completed":
        click.echo(f"result: {head.text if head is not None else 'null'}")
        if head is not None and not head.complete:
            click.echo(
                f"... {head.more} more bytes not shown (--output-file FILE writes the whole output)"
            )
    for entry in view["console"] or []:
        click.echo(f"console [{entry.get('level', 'log')}] {entry.get('message', '')}")
    error = view["error"]
    if error:
        click.echo(f"error: {error.get('name', 'Error')}: {error.get('message', '')}{_at(error)}")


def _at(error: dict[str, Any]) -> str:
    """`` (line L, column C)`` in the admin's source, as much of it as is known."""
    if not error.get("line"):
        return ""
    column = f", column {error['column']}" if error.get("column") else ""
    return f" (line {error['line']}{column})"


@jsscripts.command("run")
@click.argument("name_or_id")
@tenant_option
@click.option("--input", "input_text", help="Input as JSON text (ctx.input).")
@click.option(
    "--input-file",
    type=click.File("r", encoding="utf-8"),
    help="File with the input as JSON ('-' for stdin).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the execution as JSON.")
@click.option(
    "--output-file",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the run's whole output (its JSON text) to this file.",
)
def run_command(
    name_or_id: str,
    tenant: str,
    input_text: str | None,
    input_file: IO[str] | None,
    as_json: bool,
    output_file: str | None,
) -> None:
    """Run a script now (manual trigger) and print its outcome: the output in full up to 1 MiB
    with --json, its first 64 KiB otherwise; --output-file writes all of it.

    Exit code 0 when the run completed, 1 when it failed or timed out, 2 for bad usage.
    """
    payload = _read_input(input_text, input_file)
    state = current_state()
    try:
        with _scope(tenant):
            session = _session()
            script = _resolve(session, name_or_id)
            execution = executions.run_script(
                session, state.run_context(), script.id, "manual", payload
            )
            completed = execution.status == "completed"
            head = outputs.output_head(session, execution.id) if completed else None
            view = _execution_view(execution, head)
            if output_file is not None and head is None:
                click.echo("no output written: the run has no output", err=True)
            elif output_file is not None:
                try:
                    written = _write_output(session, execution.id, output_file)
                except OSError as exc:
                    raise CommandFailure(f"cannot write {output_file}: {exc.strerror}") from None
                click.echo(f"wrote the output ({written} bytes) to {output_file}", err=True)
    finally:
        state.close_runtime()  # a pool this command started must not outlive it
    if as_json:
        click.echo(_dumps(view, indent=2))
    else:
        _print_run(view, head)
    if view["status"] != "completed":
        raise click.exceptions.Exit(1)


# --- export / import -----------------------------------------------------------------------


@jsscripts.command("export")
@tenant_option
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    help="File to write (default: stdout).",
)
@click.argument("names", nargs=-1)
def export_command(tenant: str, output: str | None, names: tuple[str, ...]) -> None:
    """Export scripts with all their versions as JSON (all scripts unless NAMEs are given)."""
    with _scope(tenant):
        session = _session()
        ids = [_resolve(session, n).id for n in names] if names else None
        document = transfer.export_scripts(session, ids)
    text = _dumps(document, indent=2)
    if output is None:
        click.echo(text)
        return
    with click.open_file(output, "w", encoding="utf-8", atomic=True) as fh:
        fh.write(text + "\n")
    click.echo(f"exported {len(document['scripts'])} scripts to {output}", err=True)


def _load_document(file: IO[bytes]) -> Any:
    """Parse the document, refusing oversized files, bad encodings and NaN/Infinity."""
    raw = file.read(transfer.MAX_DOCUMENT_BYTES + 1)
    if len(raw) > transfer.MAX_DOCUMENT_BYTES:
        raise UsageFailure(f"the file is larger than {transfer.MAX_DOCUMENT_BYTES} bytes")
    try:
        return jsonvalues.parse(raw)
    except jsonvalues.JSONValueError as exc:
        raise UsageFailure(f"the file is not valid JSON: {exc}") from None


def _invalid_document(exc: ValidationError) -> UsageFailure:
    """All problems of a rejected document, one per line (fixing them one by one is tedious)."""
    count = sum(len(m) for m in exc.errors.values())
    lines = [f"the document was not imported ({count} problem{'s' * (count != 1)}):"]
    lines += [f"  {where}: {message}" for where, msgs in exc.errors.items() for message in msgs]
    return UsageFailure("\n".join(lines))


def _print_report(report: transfer.ImportReport, tenant: str) -> None:
    click.echo(f"imported {len(report.created)} scripts ({report.versions} versions) into {tenant}")
    for old, new in report.renamed.items():
        click.echo(f"renamed: {old} -> {new}")
    for name in report.skipped:
        click.echo(f"skipped: {name} (already exists)")
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)


@jsscripts.command("import")
@click.argument("file", type=click.File("rb"))
@tenant_option
@click.option(
    "--on-conflict",
    type=click.Choice(transfer.ON_CONFLICT_MODES),
    default="error",
    show_default=True,
    help="What to do with a script whose name already exists.",
)
def import_command(file: IO[bytes], tenant: str, on_conflict: str) -> None:
    """Import scripts (with their versions) from an export file ('-' for stdin)."""
    document = _load_document(file)
    state = current_state()
    try:
        with _scope(tenant):
            try:
                report = transfer.import_scripts(
                    _session(),
                    document,
                    config=state.config,
                    runtime=state.runtime,
                    actor=CLI_ACTOR,
                    on_conflict=on_conflict,  # type: ignore[arg-type]
                    # The CLI runs with the server's own rights (it reads the secret key and
                    # the database URL), outside the host's RBAC: it may import public and
                    # token endpoints, as it may do everything else.
                    may_manage_endpoints=True,
                )
            except ValidationError as exc:
                _session().rollback()
                raise _invalid_document(exc) from None
    finally:
        state.close_runtime()
    _print_report(report, tenant)


# --- system jobs ---------------------------------------------------------------------------


@jsscripts.command("prune")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    help="Delete finished runs older than this (default JSSCRIPTS_RETENTION_DAYS).",
)
@click.option("--tenant", "-t", help="Only this tenant (default: every tenant).")
def prune_command(days: int | None, tenant: str | None) -> None:
    """Delete old finished executions (pending and running ones are kept)."""
    days = current_app.config["JSSCRIPTS_RETENTION_DAYS"] if days is None else days
    with _scope(tenant):
        deleted = executions.prune(_session(), retention_days=days)
    where = f"tenant {tenant}" if tenant else "all tenants"
    click.echo(f"deleted {deleted} executions older than {days} days ({where})")


@jsscripts.command("reap")
@click.option(
    "--grace",
    type=click.IntRange(min=0),
    help="Seconds past a run's deadline (default JSSCRIPTS_REAPER_GRACE_SECONDS).",
)
@click.option("--tenant", "-t", help="Only this tenant (default: every tenant).")
def reap_command(grace: int | None, tenant: str | None) -> None:
    """Mark runs whose process died (running past their deadline) as failed; event runs among
    them are retried or dead-lettered like any other failure."""
    grace = current_app.config["JSSCRIPTS_REAPER_GRACE_SECONDS"] if grace is None else grace
    follow_up = events.EventFollowUp(current_app.config)
    with _scope(tenant):
        reaped = executions.reap_stale(_session(), grace_seconds=grace, follow_up=follow_up)
    current_state().queue.run_retries(follow_up.retries)
    where = f"tenant {tenant}" if tenant else "all tenants"
    click.echo(f"marked {reaped} abandoned executions as failed ({where})")


# --- dead letters --------------------------------------------------------------------------

dead_letters_group = AppGroup(
    "dead-letters", help="Inspect, replay and discard event deliveries that failed for good."
)
jsscripts.add_command(dead_letters_group)

DEAD_LETTER_HEADERS = ["ID", "CREATED", "SCRIPT", "EVENT TYPE", "ATTEMPTS", "STATE", "ERROR"]
ERROR_WIDTH = 60


def _letter_state(letter: DeadLetter) -> str:
    if letter.replayed_at is not None:
        return "replayed"
    return "discarded" if letter.discarded_at is not None else "open"


def _script_names(session: Session, script_ids: list[str]) -> dict[str, str]:
    if not script_ids:
        return {}
    rows = session.execute(select(Script.id, Script.name).where(Script.id.in_(script_ids)))
    return {row.id: row.name for row in rows}


def _error_line(error: Any) -> str:
    if not isinstance(error, dict):
        return ""
    text = f"{error.get('name') or 'Error'}: {error.get('message') or ''}"
    return " ".join(text.split())


def _letter_view(letter: DeadLetter, script_name: str | None) -> dict[str, Any]:
    return {
        "id": letter.id,
        "script": {"id": letter.script_id, "name": script_name},
        "event_id": letter.event_id,
        "event_type": letter.event_type,
        "state": _letter_state(letter),
        "created_at": letter.created_at.isoformat() if letter.created_at else None,
        "replayed_at": letter.replayed_at.isoformat() if letter.replayed_at else None,
        "discarded_at": letter.discarded_at.isoformat() if letter.discarded_at else None,
        "attempts": list(letter.attempts or []),
        "payload": letter.payload,
        "error": letter.error,
    }


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _letter_row(view: dict[str, Any]) -> list[str]:
    return [
        view["id"],
        _when(datetime.fromisoformat(view["created_at"])) if view["created_at"] else "-",
        view["script"]["name"] or view["script"]["id"],
        view["event_type"] or "-",
        str(len(view["attempts"])),
        view["state"],
        _clip(_error_line(view["error"]), ERROR_WIDTH) or "-",
    ]


def _get_letter(session: Session, letter_id: str) -> DeadLetter:
    try:
        return dead_letters.get_dead_letter(session, letter_id)
    except NotFound:
        raise NotFound(f"dead letter {letter_id!r} not found") from None


@dead_letters_group.command("list")
@tenant_option
@click.option(
    "--state",
    type=click.Choice(dead_letters.STATES),
    default="open",
    show_default=True,
    help="Which dead letters.",
)
@click.option("--script", "script_ref", help="Only this script (name or id).")
@click.option("--event-type", help="Only this event type.")
@click.option(
    "--limit",
    type=click.IntRange(1, 500),
    default=100,
    show_default=True,
    help="At most this many.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def dead_letters_list(
    tenant: str,
    state: str,
    script_ref: str | None,
    event_type: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List the tenant's dead letters, newest first."""
    with _scope(tenant):
        session = _session()
        script_id = _resolve(session, script_ref).id if script_ref else None
        letters, total = dead_letters.list_dead_letters(
            session, state=state, script_id=script_id, event_type=event_type, limit=limit
        )
        names = _script_names(session, sorted({letter.script_id for letter in letters}))
        views = [_letter_view(letter, names.get(letter.script_id)) for letter in letters]
    if as_json:
        click.echo(_dumps({"total": total, "dead_letters": views}, indent=2))
        return
    if not views:
        click.echo(f"no {state} dead letters" if state != "all" else "no dead letters")
        return
    click.echo(_table([_letter_row(v) for v in views], DEAD_LETTER_HEADERS))
    if total > len(views):
        click.echo(f"({len(views)} of {total} shown: use --limit or narrow the filter)", err=True)


@dead_letters_group.command("show")
@click.argument("dead_letter_id")
@tenant_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def dead_letters_show(dead_letter_id: str, tenant: str, as_json: bool) -> None:
    """Show one dead letter: payload, error with stack, and the runs of its event."""
    with _scope(tenant):
        session = _session()
        letter = _get_letter(session, dead_letter_id)
        names = _script_names(session, [letter.script_id])
        view = _letter_view(letter, names.get(letter.script_id))
        runs = [
            {
                "id": e.id,
                "attempt": e.attempt,
                "status": e.status,
                "end_reason": e.end_reason,
                "at": (e.started_at or e.created_at).isoformat(),
            }
            for e in dead_letters.attempts_of(session, letter)
        ]
    if as_json:
        click.echo(_dumps({**view, "runs": runs}, indent=2))
        return
    click.echo(f"id:         {view['id']}")
    click.echo(f"script:     {view['script']['name']} ({view['script']['id']})")
    click.echo(f"event:      {view['event_type'] or '-'} ({view['event_id'] or '-'})")
    click.echo(f"created:    {_when(letter.created_at)}")
    state = view["state"]
    if state != "open":
        closed = letter.replayed_at if state == "replayed" else letter.discarded_at
        state = f"{state} {_when(closed)}"
    click.echo(f"state:      {state}")
    click.echo(f"attempts:   {len(view['attempts'])}")
    for run in runs:
        reason = run["end_reason"]
        detail = f" ({reason})" if reason and reason != run["status"] else ""
        click.echo(f"  attempt {run['attempt']}: {run['status']}{detail} {run['id']}")
    click.echo(f"payload:    {_dumps(view['payload'], indent=2)}")
    error = view["error"]
    if isinstance(error, dict):
        click.echo(f"error:      {_error_line(error)}{_at(error)}")
        if error.get("stack"):
            click.echo(str(error["stack"]))


def _one_or_all(letter_id: str | None, all_: bool, script_ref: str | None) -> None:
    if all_ == (letter_id is not None):
        raise UsageFailure("give either a dead letter ID or --all")
    if script_ref is not None and not all_:
        raise UsageFailure("--script only goes with --all")


@dead_letters_group.command("replay")
@click.argument("dead_letter_id", required=False)
@tenant_option
@click.option("--all", "all_", is_flag=True, help="Replay every open dead letter.")
@click.option("--script", "script_ref", help="With --all: only this script's (name or id).")
def dead_letters_replay(
    dead_letter_id: str | None, tenant: str, all_: bool, script_ref: str | None
) -> None:
    """Queue the event of a dead letter (or of every open one) again, for its script's current
    version. Exit code 2 when a replay is refused (already closed, script not active, event
    runs switched off): with --all the others are still queued."""
    _one_or_all(dead_letter_id, all_, script_ref)
    state = current_state()
    refused: list[tuple[DeadLetter, str]] = []
    try:
        with _scope(tenant):
            session = _session()
            if dead_letter_id is not None:
                letter = _get_letter(session, dead_letter_id)
                # refused (RunRefused): a clean "Error: ..." line and exit 2, via _scope
                queued = [dead_letters.replay(session, state.run_context(), letter.id)]
            else:
                script_id = _resolve(session, script_ref).id if script_ref else None
                queued, refused = dead_letters.replay_all(
                    session, state.run_context(), script_id=script_id
                )
            lines = [f"queued {e.id} (attempt {e.attempt})" for e in queued]
            problems = [f"refused {letter.id}: {reason}" for letter, reason in refused]
    finally:
        state.close_runtime()  # replaying only queues; the pool it started must not outlive it
    for line in lines:
        click.echo(line)
    if all_:
        click.echo(f"{len(queued)} replayed, {len(refused)} refused")
    if problems:
        for line in problems:
            click.echo(f"Error: {line}", err=True)
        raise click.exceptions.Exit(2)


@dead_letters_group.command("discard")
@click.argument("dead_letter_id", required=False)
@tenant_option
@click.option("--all", "all_", is_flag=True, help="Discard every open dead letter.")
@click.option("--script", "script_ref", help="With --all: only this script's (name or id).")
def dead_letters_discard(
    dead_letter_id: str | None, tenant: str, all_: bool, script_ref: str | None
) -> None:
    """Close a dead letter (or every open one) without running it; it is kept for the record."""
    _one_or_all(dead_letter_id, all_, script_ref)
    with _scope(tenant):
        session = _session()
        if dead_letter_id is not None:
            letter = _get_letter(session, dead_letter_id)
            if _letter_state(letter) != "open":
                raise UsageFailure(f"dead letter {letter.id} is already {_letter_state(letter)}")
            dead_letters.discard(session, letter.id)
            count = 1
        else:
            ids = None
            if script_ref:
                script_id = _resolve(session, script_ref).id
                letters, _total = dead_letters.list_dead_letters(
                    session, script_id=script_id, limit=500
                )
                ids = [letter.id for letter in letters]
            count = dead_letters.discard_all(session, ids)
    click.echo(f"discarded {count} dead letter{'s' * (count != 1)}")


# --- the consumer --------------------------------------------------------------------------


@jsscripts.command("worker")
@click.option(
    "--workers",
    "-w",
    type=click.IntRange(min=1),
    help="Worker threads (default JSSCRIPTS_POOL_SIZE: one per sandbox process).",
)
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="Run the every-minute jobs (cron, sweep, prune); safe on every consumer.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(min=0, max=65535),
    help="Serve this consumer's Prometheus metrics on this port.",
)
@click.option("--metrics-host", default="127.0.0.1", show_default=True)
def worker_command(
    workers: int | None, periodic: bool, metrics_port: int | None, metrics_host: str
) -> None:
    """Run the Huey consumer: event deliveries, queued runs, retries, cron, the sweep.

    Start as many as you like, on as many machines as share the database and the queue
    (JSSCRIPTS_HUEY_URL=redis://...). SIGTERM and Ctrl-C (SIGINT) stop gracefully: runs in
    progress get JSSCRIPTS_SHUTDOWN_GRACE_SECONDS to finish; a second signal stops at once.
    """
    import logging

    from prometheus_client import start_http_server

    from .consumer import run_worker

    state = current_state()
    if state.huey is None or state.huey.immediate:
        raise UsageFailure("JSSCRIPTS_HUEY_IMMEDIATE is on: tasks already run inline")
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if metrics_port is not None:
        try:
            start_http_server(metrics_port, addr=metrics_host)
        except OSError as exc:
            message = f"cannot serve metrics on {metrics_host}:{metrics_port}: {exc.strerror}"
            raise UsageFailure(message) from None
    run_worker(
        state,
        workers=workers or current_app.config["JSSCRIPTS_POOL_SIZE"],
        periodic=periodic,
    )
