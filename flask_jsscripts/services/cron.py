"""When a cron schedule fires: DST-correct next run times (no database, no Flask).

A 5-field expression is read in the schedule's IANA time zone. A wall-clock time that a
spring-forward gap skips fires at the end of the gap (for a fixed-hour schedule; a periodic one,
``*`` in the hour field, just has no run there); one that a fall-back repeats fires twice for a
periodic schedule and once (the first) for a fixed-hour one. ``services.schedules`` claims due
runs with it, and the editor's preview lists the same times.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

# Longer than any daylight-saving shift: how far back a repeated (fall-back) hour can reach.
_REPEAT_WINDOW = timedelta(hours=3)
_MAX_STEPS = 10_000  # cron times examined by one next_run_after (a guard, never reached)
_SECOND = timedelta(seconds=1)


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {timezone[:100]!r}") from None


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive local wall-clock time of an aware instant."""
    return instant.astimezone(zone).replace(tzinfo=None)


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    return instant.astimezone(zone).utcoffset() or timedelta(0)


def _gap_end(wall: datetime, zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The first instant whose wall-clock time is later than ``wall`` (a time in a gap),
    searched to the second between ``low`` (before it) and ``high`` (at or after it), UTC."""
    while high - low > _SECOND:
        middle = low + timedelta(seconds=(high - low) // _SECOND // 2)
        if _wall(middle, zone) > wall:
            high = middle
        else:
            low = middle
    return high


def _instants(wall: datetime, zone: ZoneInfo, periodic: bool) -> tuple[datetime, ...]:
    """The UTC instants at which a matching wall-clock time fires, in order (see the module
    docstring): none, one or, for a periodic schedule in a repeated hour, two."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first == second:
        return (first,)
    if _wall(first, zone) == wall:  # repeated by a fall-back: both instants exist
        return (first, second) if periodic else (first,)
    if periodic:  # inside a spring-forward gap
        return ()
    low, high = sorted((first, second))
    return (_gap_end(wall, zone, low, high),)


def next_run_after(cron: str, timezone: str, after: datetime) -> datetime | None:
    """The first time strictly after ``after`` (aware) at which the schedule fires, as an aware
    UTC datetime; None when the expression never fires again. ValueError when invalid."""
    fields = cron.split()
    if len(fields) != 5:
        raise ValueError("a cron expression has 5 fields: minute hour day month weekday")
    if after.tzinfo is None:
        raise ValueError("after must be an aware datetime")
    zone = _zone(timezone)
    after = after.astimezone(UTC)
    periodic = fields[1].startswith("*")
    start = _wall(after, zone)
    # Cron times come in wall-clock order, which is the order of their instants except in a
    # repeated (fall-back) hour. If the clock goes back soon, wall times already passed come
    # round again: start earlier and keep the earliest instant instead of the first found.
    shift = _offset(after, zone) - _offset(after + _REPEAT_WINDOW, zone)
    repeat = periodic and shift > timedelta(0)
    if repeat:
        start -= shift
    best: datetime | None = None
    try:
        times = croniter(" ".join(fields), start)
        for _ in range(_MAX_STEPS):
            instants = _instants(times.get_next(datetime), zone, periodic)
            if best is not None and instants and instants[0] > best:
                break  # first instants grow with the wall time: none later can be earlier
            for instant in instants:
                if instant > after and (best is None or instant < best):
                    best = instant
            if best is not None and not repeat:
                break
    except CroniterBadDateError:
        return best
    except (ValueError, KeyError, TypeError, OverflowError) as exc:
        raise ValueError(f"invalid cron expression: {exc}") from None
    return best


def next_runs(cron: str, timezone: str, count: int, after: datetime) -> list[datetime]:
    """The next ``count`` fire times after ``after``, aware in ``timezone`` (fewer when the
    expression stops firing). ValueError when invalid."""
    zone = _zone(timezone)
    runs: list[datetime] = []
    while len(runs) < count:
        following = next_run_after(cron, timezone, after)
        if following is None:
            break
        runs.append(following.astimezone(zone))
        after = following
    return runs
