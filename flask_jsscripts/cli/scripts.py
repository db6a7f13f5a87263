"""``flask jsscripts list`` and ``flask jsscripts run``."""

from __future__ import annotations

from typing import IO, Any

import click
from sqlalchemy.orm import Session

from ..models import SCRIPT_STATUSES, SCRIPT_TYPES, Execution, Script
from ..runtime import jsonvalues
from ..services import executions, outputs, scripts
from ..state import current_state
from . import common
from .common import CommandFailure, UsageFailure, jsscripts, tenant_option

TABLE_HEADERS = ["NAME", "TYPE", "STATUS", "VERSION", "LAST RUN", "AT"]

# --- list ----------------------------------------------------------------------------------


def _all_scripts(db_session: Session, **filters: str) -> list[Script]:
    """Every matching script (the service pages; a terminal wants them all)."""
    items: list[Script] = []
    page = 1
    while True:
        result = scripts.list_scripts(db_session, page=page, per_page=200, **filters)
        items.extend(result.items)
        if page >= result.pages:
            return items
        page += 1


def _list_row(script: Script, last: Any) -> dict[str, Any]:
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


def _table_row(script: Script, last: Any) -> list[str]:
    return [
        script.name,
        script.type,
        script.status,
        f"v{script.current_version}",
        last.status if last else "-",
        common.when(last.created_at) if last else "-",
    ]


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
    with common.command_scope(tenant):
        db_session = common.session()
        items = _all_scripts(db_session, search=search, type=type_ or "", status=status or "")
        last = executions.last_runs(db_session, [s.id for s in items])
        rows = [_list_row(s, last.get(s.id)) for s in items]
    if as_json:
        click.echo(common.dumps(rows, indent=2))
    elif not rows:
        click.echo("no scripts")
    else:
        click.echo(common.table([_table_row(s, last.get(s.id)) for s in items], TABLE_HEADERS))


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


def _write_output(db_session: Session, execution_id: str, path: str) -> int:
    """Write the stored output's JSON text to ``path`` a piece at a time; its size in bytes."""
    written = 0
    with open(path, "wb") as fh:
        while True:
            piece = outputs.read_output_bytes(
                db_session, execution_id, written, outputs.CHUNK_BYTES
            )
            fh.write(piece)
            written += len(piece)
            if len(piece) < outputs.CHUNK_BYTES:
                return written


def _print_run(view: dict[str, Any], head: outputs.OutputHead | None) -> None:
    click.echo(f"status: {common.run_status(view['status'], view['end_reason'])}")
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
        message = f"{error.get('name', 'Error')}: {error.get('message', '')}"
        click.echo(f"error: {message}{common.error_position(error)}")


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
        with common.command_scope(tenant):
            db_session = common.session()
            script = common.resolve_script(db_session, name_or_id)
            execution = executions.run_script(
                db_session, state.run_context(), script.id, "manual", payload
            )
            completed = execution.status == "completed"
            head = outputs.output_head(db_session, execution.id) if completed else None
            view = _execution_view(execution, head)
            if output_file is not None and head is None:
                click.echo("no output written: the run has no output", err=True)
            elif output_file is not None:
                try:
                    written = _write_output(db_session, execution.id, output_file)
                except OSError as exc:
                    raise CommandFailure(f"cannot write {output_file}: {exc.strerror}") from None
                click.echo(f"wrote the output ({written} bytes) to {output_file}", err=True)
    finally:
        state.close_runtime()  # a pool this command started must not outlive it
    if as_json:
        click.echo(common.dumps(view, indent=2))
    else:
        _print_run(view, head)
    if view["status"] != "completed":
        raise click.exceptions.Exit(1)
