"""``flask jsscripts export`` and ``flask jsscripts import``: scripts with all their versions
as one JSON document."""

from __future__ import annotations

from typing import IO, Any

import click

from ..runtime import jsonvalues
from ..services import transfer
from ..services.errors import ValidationError
from ..state import current_state
from . import common
from .common import CLI_ACTOR, UsageFailure, jsscripts, tenant_option


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
    with common.command_scope(tenant):
        db_session = common.session()
        ids = [common.resolve_script(db_session, n).id for n in names] if names else None
        document = transfer.export_scripts(db_session, ids)
    text = common.dumps(document, indent=2)
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
        with common.command_scope(tenant):
            try:
                report = transfer.import_scripts(
                    common.session(),
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
                common.session().rollback()
                raise _invalid_document(exc) from None
    finally:
        state.close_runtime()
    _print_report(report, tenant)
