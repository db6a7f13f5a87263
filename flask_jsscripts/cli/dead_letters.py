"""``flask jsscripts dead-letters ...``: inspect, replay and discard event deliveries that
failed for good."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import click
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from ..models import DeadLetter
from ..services import dead_letters
from ..services.errors import NotFound
from ..state import current_state
from . import common
from .common import UsageFailure, jsscripts, tenant_option

dead_letters_group = AppGroup(
    "dead-letters", help="Inspect, replay and discard event deliveries that failed for good."
)
jsscripts.add_command(dead_letters_group)

DEAD_LETTER_HEADERS = ["ID", "CREATED", "SCRIPT", "EVENT TYPE", "ATTEMPTS", "STATE", "ERROR"]
ERROR_WIDTH = 60

F = TypeVar("F", bound=Callable[..., Any])


def _script_names(db_session: Session, script_ids: list[str]) -> dict[str, str]:
    return dict(dead_letters.script_names(db_session, script_ids)) if script_ids else {}


def _error_line(error: Any) -> str:
    if not isinstance(error, dict):
        return ""
    text = f"{error.get('name') or 'Error'}: {error.get('message') or ''}"
    return " ".join(text.split())


def _isoformat(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _letter_view(letter: DeadLetter, script_name: str | None) -> dict[str, Any]:
    return {
        "id": letter.id,
        "script": {"id": letter.script_id, "name": script_name},
        "event_id": letter.event_id,
        "event_type": letter.event_type,
        "state": letter.state,
        "created_at": _isoformat(letter.created_at),
        "replayed_at": _isoformat(letter.replayed_at),
        "discarded_at": _isoformat(letter.discarded_at),
        "attempts": list(letter.attempts or []),
        "payload": letter.payload,
        "error": letter.error,
    }


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _letter_row(view: dict[str, Any]) -> list[str]:
    return [
        view["id"],
        common.when(datetime.fromisoformat(view["created_at"])) if view["created_at"] else "-",
        view["script"]["name"] or view["script"]["id"],
        view["event_type"] or "-",
        str(len(view["attempts"])),
        view["state"],
        _clip(_error_line(view["error"]), ERROR_WIDTH) or "-",
    ]


def _get_letter(db_session: Session, letter_id: str) -> DeadLetter:
    try:
        return dead_letters.get_dead_letter(db_session, letter_id)
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
    with common.command_scope(tenant):
        db_session = common.session()
        script_id = common.resolve_script(db_session, script_ref).id if script_ref else None
        letters, total = dead_letters.list_dead_letters(
            db_session, state=state, script_id=script_id, event_type=event_type, limit=limit
        )
        names = _script_names(db_session, [letter.script_id for letter in letters])
        views = [_letter_view(letter, names.get(letter.script_id)) for letter in letters]
    if as_json:
        click.echo(common.dumps({"total": total, "dead_letters": views}, indent=2))
        return
    if not views:
        click.echo(f"no {state} dead letters" if state != "all" else "no dead letters")
        return
    click.echo(common.table([_letter_row(v) for v in views], DEAD_LETTER_HEADERS))
    if total > len(views):
        click.echo(f"({len(views)} of {total} shown: use --limit or narrow the filter)", err=True)


def _attempt_runs(db_session: Session, letter: DeadLetter) -> list[dict[str, Any]]:
    return [
        {
            "id": e.id,
            "attempt": e.attempt,
            "status": e.status,
            "end_reason": e.end_reason,
            "at": (e.started_at or e.created_at).isoformat(),
        }
        for e in dead_letters.attempts_of(db_session, letter)
    ]


def _print_letter(letter: DeadLetter, view: dict[str, Any], runs: list[dict[str, Any]]) -> None:
    click.echo(f"id:         {view['id']}")
    click.echo(f"script:     {view['script']['name']} ({view['script']['id']})")
    click.echo(f"event:      {view['event_type'] or '-'} ({view['event_id'] or '-'})")
    click.echo(f"created:    {common.when(letter.created_at)}")
    state = view["state"]
    if state != "open":
        closed = letter.replayed_at if state == "replayed" else letter.discarded_at
        state = f"{state} {common.when(closed)}"
    click.echo(f"state:      {state}")
    click.echo(f"attempts:   {len(view['attempts'])}")
    for run in runs:
        status = common.run_status(run["status"], run["end_reason"])
        click.echo(f"  attempt {run['attempt']}: {status} {run['id']}")
    click.echo(f"payload:    {common.dumps(view['payload'], indent=2)}")
    error = view["error"]
    if isinstance(error, dict):
        click.echo(f"error:      {_error_line(error)}{common.error_position(error)}")
        if error.get("stack"):
            click.echo(str(error["stack"]))


@dead_letters_group.command("show")
@click.argument("dead_letter_id")
@tenant_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def dead_letters_show(dead_letter_id: str, tenant: str, as_json: bool) -> None:
    """Show one dead letter: payload, error with stack, and the runs of its event."""
    with common.command_scope(tenant):
        db_session = common.session()
        letter = _get_letter(db_session, dead_letter_id)
        names = _script_names(db_session, [letter.script_id])
        view = _letter_view(letter, names.get(letter.script_id))
        runs = _attempt_runs(db_session, letter)
    if as_json:
        click.echo(common.dumps({**view, "runs": runs}, indent=2))
        return
    _print_letter(letter, view, runs)


def _one_or_all_options(verb: str) -> Callable[[F], F]:
    """DEAD_LETTER_ID or --all (optionally narrowed by --script), and --tenant."""

    def decorate(command: F) -> F:
        command = click.option(
            "--script", "script_ref", help="With --all: only this script's (name or id)."
        )(command)
        command = click.option(
            "--all", "all_", is_flag=True, help=f"{verb} every open dead letter."
        )(command)
        return click.argument("dead_letter_id", required=False)(tenant_option(command))

    return decorate


def _one_or_all(letter_id: str | None, all_: bool, script_ref: str | None) -> None:
    if all_ == (letter_id is not None):
        raise UsageFailure("give either a dead letter ID or --all")
    if script_ref is not None and not all_:
        raise UsageFailure("--script only goes with --all")


@dead_letters_group.command("replay")
@_one_or_all_options("Replay")
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
        with common.command_scope(tenant):
            db_session = common.session()
            if dead_letter_id is not None:
                letter = _get_letter(db_session, dead_letter_id)
                # refused (RunRefused): a clean "Error: ..." line and exit 2, via command_scope
                queued = [dead_letters.replay(db_session, state.run_context(), letter.id)]
            else:
                script_id = common.resolve_script(db_session, script_ref).id if script_ref else None
                queued, refused = dead_letters.replay_all(
                    db_session, state.run_context(), script_id=script_id
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
@_one_or_all_options("Discard")
def dead_letters_discard(
    dead_letter_id: str | None, tenant: str, all_: bool, script_ref: str | None
) -> None:
    """Close a dead letter (or every open one) without running it; it is kept for the record."""
    _one_or_all(dead_letter_id, all_, script_ref)
    with common.command_scope(tenant):
        db_session = common.session()
        if dead_letter_id is not None:
            letter = _get_letter(db_session, dead_letter_id)
            if letter.state != "open":
                raise UsageFailure(f"dead letter {letter.id} is already {letter.state}")
            dead_letters.discard(db_session, letter.id)
            count = 1
        else:
            ids = None
            if script_ref:
                script_id = common.resolve_script(db_session, script_ref).id
                letters, _total = dead_letters.list_dead_letters(
                    db_session, script_id=script_id, limit=500
                )
                ids = [letter.id for letter in letters]
            count = dead_letters.discard_all(db_session, ids)
    click.echo(f"discarded {count} dead letter{'s' * (count != 1)}")
