"""The system jobs from a terminal: ``prune``, ``reap``, ``recompile`` and the queue consumer
(``worker``)."""

from __future__ import annotations

import logging

import click
from flask import current_app
from prometheus_client import start_http_server

from ..consumer import run_worker
from ..services import events, executions, scripts
from ..state import current_state
from .common import CommandFailure, UsageFailure, command_scope, dumps, jsscripts, session

DAYS_HELP = "Delete finished runs older than this (default JSSCRIPTS_RETENTION_DAYS)."
GRACE_HELP = "Seconds past a run's deadline (default JSSCRIPTS_REAPER_GRACE_SECONDS)."
# The system jobs work on every tenant unless told one.
any_tenant_option = click.option("--tenant", "-t", help="Only this tenant (default: every tenant).")


@jsscripts.command("prune")
@click.option("--days", type=click.IntRange(min=0), help=DAYS_HELP)
@any_tenant_option
def prune_command(days: int | None, tenant: str | None) -> None:
    """Delete old finished executions (pending and running ones are kept)."""
    days = current_app.config["JSSCRIPTS_RETENTION_DAYS"] if days is None else days
    with command_scope(tenant):
        deleted = executions.prune(session(), retention_days=days)
    where = f"tenant {tenant}" if tenant else "all tenants"
    click.echo(f"deleted {deleted} executions older than {days} days ({where})")


@jsscripts.command("reap")
@click.option("--grace", type=click.IntRange(min=0), help=GRACE_HELP)
@any_tenant_option
def reap_command(grace: int | None, tenant: str | None) -> None:
    """Mark runs whose process died (running past their deadline) as failed; event runs among
    them are retried or dead-lettered like any other failure."""
    grace = current_app.config["JSSCRIPTS_REAPER_GRACE_SECONDS"] if grace is None else grace
    follow_up = events.EventFollowUp(current_app.config)
    with command_scope(tenant):
        reaped = executions.reap_stale(session(), grace_seconds=grace, follow_up=follow_up)
    current_state().queue.run_retries(follow_up.retries)
    where = f"tenant {tenant}" if tenant else "all tenants"
    click.echo(f"marked {reaped} abandoned executions as failed ({where})")


@jsscripts.command("recompile")
@click.option("--current-only", is_flag=True, help="Only the current version of each script.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@any_tenant_option
def recompile_command(current_only: bool, as_json: bool, tenant: str | None) -> None:
    """Compile again the versions another compiler made (after an upgrade; runs do it lazily).
    Exits 1 when a version no longer compiles (it keeps its old form)."""
    with command_scope(tenant):
        report = scripts.recompile_stale(
            session(), current_state().runtime, current_only=current_only
        )
    failed = [{"script": n, "version": v, "error": e} for n, v, e in report.failed]
    if as_json:
        click.echo(
            dumps({"compiler": report.compiler, "recompiled": report.recompiled, "failed": failed})
        )
    else:
        click.echo(f"recompiled {report.recompiled} versions with {report.compiler}")
        for item in failed:
            click.echo(f"  {item['script']} version {item['version']}: {item['error']}")
    if failed:
        raise CommandFailure(f"{len(failed)} versions no longer compile")


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
