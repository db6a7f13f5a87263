"""Cron schedules: next run times across DST, and the every-minute claim on SQLite and
PostgreSQL, with a clock the tests control (``now`` is always passed explicitly).

The race test runs two separate OS processes in lockstep over simulated minutes: each due cron
run must happen exactly once, and overlapping runs must be recorded as skipped.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from sqlalchemy import select, update

from flask_jsscripts import tenancy
from flask_jsscripts.models import Execution, Schedule, Script
from flask_jsscripts.services import schedules, scripts
from flask_jsscripts.services.validation import ScriptInput

MIN = timedelta(minutes=1)
T0 = datetime(2031, 1, 6, 8, 0, tzinfo=UTC)  # the simulated clock starts here


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def runs(cron: str, zone: str, after: datetime, until: datetime) -> list[datetime]:
    """Every fire time of a schedule in (after, until], by calling next_run_after repeatedly."""
    out: list[datetime] = []
    while True:
        after = schedules.next_run_after(cron, zone, after)
        if after is None or after > until:
            return out
        out.append(after)


# --- next_run_after: time zones and DST --------------------------------------------------------


def test_next_run_is_aware_utc_and_strictly_after():
    at = schedules.next_run_after("*/5 * * * *", "UTC", utc(2024, 5, 1, 10, 5))
    assert at == utc(2024, 5, 1, 10, 10) and at.tzinfo is UTC
    assert schedules.next_run_after("*/5 * * * *", "UTC", utc(2024, 5, 1, 10, 4, 59)) == utc(
        2024, 5, 1, 10, 5
    )
    # wall-clock time of the zone: 09:00 in Tokyo (UTC+9, no DST) is 00:00 UTC
    assert schedules.next_run_after("0 9 * * *", "Asia/Tokyo", utc(2024, 5, 1, 1)) == utc(
        2024, 5, 2, 0
    )


def test_next_run_never_and_invalid():
    assert schedules.next_run_after("0 0 30 2 *", "UTC", utc(2024, 1, 1)) is None
    for cron, zone in (("* * * *", "UTC"), ("61 * * * *", "UTC"), ("* * * * *", "Mars/Base")):
        with pytest.raises(ValueError):
            schedules.next_run_after(cron, zone, utc(2024, 1, 1))
    with pytest.raises(ValueError):
        schedules.next_run_after("* * * * *", "UTC", datetime(2024, 1, 1))  # naive


@pytest.mark.parametrize(
    ("zone", "day", "cron", "expected"),
    [
        # Berlin, 2024-03-31: 02:00 CET jumps to 03:00 CEST (01:00 UTC)
        ("Europe/Berlin", (2024, 3, 31), "30 2 * * *", [utc(2024, 3, 31, 1, 0)]),
        # two times in the gap and 03:00 itself all become 03:00: one run, not three
        (
            "Europe/Berlin",
            (2024, 3, 31),
            "0,30 2,3 * * *",
            [utc(2024, 3, 31, h, m) for h, m in ((1, 0), (1, 30))],
        ),
        # New York, 2024-03-10: 02:00 EST jumps to 03:00 EDT (07:00 UTC)
        ("America/New_York", (2024, 3, 10), "15 2 * * *", [utc(2024, 3, 10, 7, 0)]),
        # Berlin, 2024-10-27: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice
        ("Europe/Berlin", (2024, 10, 27), "30 2 * * *", [utc(2024, 10, 27, 0, 30)]),
        # New York, 2024-11-03: 02:00 EDT goes back to 01:00 EST; 01:30 happens twice
        ("America/New_York", (2024, 11, 3), "30 1 * * *", [utc(2024, 11, 3, 5, 30)]),
    ],
)
def test_fixed_times_fire_once_on_transition_days(zone, day, cron, expected):
    start = datetime(*day, tzinfo=ZoneInfo(zone)) - timedelta(hours=1)
    assert runs(cron, zone, start, start + timedelta(hours=25)) == expected


def test_periodic_schedules_keep_elapsed_time_across_transitions():
    # spring forward: no extra run for the skipped hour, no gap in the rhythm
    spring = runs("*/15 * * * *", "Europe/Berlin", utc(2024, 3, 31, 0, 30), utc(2024, 3, 31, 1, 30))
    assert spring == [utc(2024, 3, 31, 0, 45) + i * 15 * MIN for i in range(4)]
    hourly = runs("30 * * * *", "Europe/Berlin", utc(2024, 3, 30, 23), utc(2024, 3, 31, 3))
    assert hourly == [utc(2024, 3, 30, 23, 30) + i * 60 * MIN for i in range(4)]
    # fall back: the repeated hour runs again, every 15 minutes of real time
    fall = runs("*/15 * * * *", "Europe/Berlin", utc(2024, 10, 26, 23, 50), utc(2024, 10, 27, 2))
    assert fall == [utc(2024, 10, 27, 0, 0) + i * 15 * MIN for i in range(9)]
    # asked from inside the first pass of the repeated hour
    assert schedules.next_run_after("5 * * * *", "Europe/Berlin", utc(2024, 10, 27, 0, 40)) == (
        utc(2024, 10, 27, 1, 5)
    )
    every = runs("* * * * *", "America/New_York", utc(2024, 11, 3, 4), utc(2024, 11, 3, 8))
    assert every == [utc(2024, 11, 3, 4, 1) + i * MIN for i in range(240)]


def _oracle(cron: str, zone_name: str, start: datetime, end: datetime) -> list[datetime]:
    """The fire times by brute force, minute by minute in UTC (the documented semantics)."""
    zone = ZoneInfo(zone_name)
    periodic = cron.split()[1].startswith("*")
    out = []
    u = start + MIN
    while u <= end:
        wall = u.astimezone(zone).replace(tzinfo=None)
        before = (u - MIN).astimezone(zone).replace(tzinfo=None)
        second_pass = wall.replace(tzinfo=zone, fold=0).astimezone(UTC) != u
        if periodic:
            fires = croniter.match(cron, wall)
        else:
            # times skipped by a gap just before this instant fire here, once
            skipped = []
            t = before + MIN
            while t < wall:
                skipped.append(t)
                t += MIN
            fires = (croniter.match(cron, wall) and not second_pass) or any(
                croniter.match(cron, t) for t in skipped
            )
        if fires:
            out.append(u)
        u += MIN
    return out


@pytest.mark.parametrize(
    "cron",
    [
        "* * * * *",
        "*/7 * * * *",
        "45 * * * *",
        "0 */2 * * *",
        "30 2 * * *",
        "*/20 1-3 * * *",
        "59 1 * * *",
        "0 3 * * *",
    ],
)
@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("Europe/Berlin", (2024, 3, 31)),
        ("Europe/Berlin", (2024, 10, 27)),
        ("America/New_York", (2024, 3, 10)),
        ("America/New_York", (2024, 11, 3)),
        ("Australia/Lord_Howe", (2024, 4, 7)),  # a 30-minute shift
    ],
)
def test_next_run_after_matches_a_brute_force_scan(cron, zone, day):
    start = datetime(*day, tzinfo=ZoneInfo(zone)).astimezone(UTC) - timedelta(hours=2)
    end = start + timedelta(hours=8)
    assert runs(cron, zone, start, end) == _oracle(cron, zone, start, end)


# --- claim_due ---------------------------------------------------------------------------------


class _Env:
    def __init__(self, app, db, ext):
        self.app, self.db, self.ext = app, db, ext

    @property
    def session(self):
        return self.db.session

    def scheduled(self, name="tick", cron="* * * * *", status="active", at=T0, **fields):
        """A scheduled script (through the services) whose next run is ``at``."""
        saved = scripts.create_script(
            self.session,
            ScriptInput(
                name=name,
                source="function main(ctx) { return 1 }",
                type="scheduled",
                status=status,
                cron=cron,
                **fields,
            ),
            config=self.app.config,
            runtime=self.app.extensions["jsscripts"].runtime,
            actor="u1",
        )
        script = saved.script
        script.schedule.next_run_at = at
        self.session.commit()
        return script

    def claim(self, now):
        with tenancy.all_tenants():
            return schedules.claim_due(self.session, self.app.config, now=now)

    def executions(self, script):
        self.session.expire_all()
        return list(
            self.session.scalars(
                select(Execution)
                .where(Execution.script_id == script.id)
                .order_by(Execution.created_at, Execution.id)
            )
        )

    def schedule(self, script):
        self.session.expire_all()
        return self.session.scalars(select(Schedule).where(Schedule.script_id == script.id)).one()

    def set_execution(self, execution_id, **values):
        self.session.execute(
            update(Execution)
            .where(Execution.id == execution_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        self.session.commit()


@pytest.fixture
def env(host_app):
    app, db, ext = host_app
    with tenancy.tenant_scope("acme"):
        yield _Env(app, db, ext)


def test_a_due_schedule_is_claimed_once(env):
    script = env.scheduled(cron="*/5 * * * *")
    assert env.claim(T0 - MIN) == []  # not due yet
    queued = env.claim(T0 + timedelta(seconds=20))
    assert len(queued) == 1
    assert env.claim(T0 + timedelta(seconds=40)) == []  # the same due time: nothing new
    [execution] = env.executions(script)
    assert execution.id == queued[0]
    assert (execution.status, execution.trigger, execution.tenant_id) == ("pending", "cron", "acme")
    assert execution.version == script.current_version == 1 and execution.attempt == 1
    assert execution.input is None and execution.deadline_at > T0
    schedule = env.schedule(script)
    assert schedule.running_execution_id == execution.id
    assert schedule.last_run_at == T0 and schedule.next_run_at == T0 + 5 * MIN


def test_claims_across_tenants_and_only_active_scheduled_scripts(env):
    due = env.scheduled("due")
    paused = env.scheduled("paused", status="paused")
    draft = env.scheduled("draft", status="draft")
    later = env.scheduled("later", at=T0 + MIN)
    manual = env.scheduled("manual")
    # a schedule row left on a script that is no longer of type scheduled never fires
    env.session.execute(update(Script).where(Script.id == manual.id).values(type="manual"))
    env.session.commit()
    with tenancy.tenant_scope("globex"):
        other = env.scheduled("other")
    queued = env.claim(T0)
    assert len(queued) == 2
    with tenancy.all_tenants():
        rows = env.session.execute(
            select(Execution.script_id, Execution.tenant_id).where(Execution.id.in_(queued))
        ).all()
    assert sorted(rows) == sorted([(due.id, "acme"), (other.id, "globex")])
    for script in (paused, draft, later, manual):
        assert env.executions(script) == []
        assert env.schedule(script).next_run_at in (T0, T0 + MIN)  # left as it was
    # resumed: the missed time runs once, at the next claim
    scripts.set_status(env.session, paused.id, "active")
    assert len(env.claim(T0 + MIN)) == 2  # paused (missed T0) and later (due T0+1)


@pytest.mark.parametrize("flag", ["JSSCRIPTS_ENABLED", "JSSCRIPTS_ENABLE_CRON"])
def test_switched_off_by_config(env, flag):
    script = env.scheduled()
    env.app.config[flag] = False
    assert env.claim(T0 + 10 * MIN) == []
    assert env.executions(script) == [] and env.schedule(script).next_run_at == T0
    env.app.config[flag] = True
    assert len(env.claim(T0 + 10 * MIN)) == 1


def test_claim_is_a_system_job(env):
    env.scheduled()
    with pytest.raises(tenancy.TenantScopeError):
        schedules.claim_due(env.session, env.app.config, now=T0)  # tenant scope, not all
    with tenancy.all_tenants(), pytest.raises(ValueError):
        schedules.claim_due(env.session, env.app.config, now=T0.replace(tzinfo=None))


def test_after_downtime_a_missed_schedule_runs_once(env):
    every = env.scheduled("every", cron="* * * * *")
    hourly = env.scheduled("hourly", cron="0 * * * *")
    now = T0 + timedelta(hours=3, seconds=30)  # the consumers were down for three hours
    assert len(env.claim(now)) == 2
    assert len(env.executions(every)) == 1 and len(env.executions(hourly)) == 1
    assert env.schedule(every).next_run_at == T0 + timedelta(hours=3, minutes=1)
    assert env.schedule(hourly).next_run_at == T0 + timedelta(hours=4)
    assert env.schedule(every).last_run_at == T0  # the due time that was claimed
    assert env.claim(now + timedelta(seconds=10)) == []


def test_overlapping_runs_are_skipped_and_recorded(env):
    script = env.scheduled(cron="* * * * *")
    [first] = env.claim(T0)
    # still pending (queued, not yet picked up, even past its pick-up deadline): skipped
    assert env.claim(T0 + 1 * MIN) == []
    assert env.claim(T0 + 10 * MIN) == []
    # running within its deadline: skipped
    env.set_execution(first, status="running", deadline_at=T0 + 30 * MIN)
    assert env.claim(T0 + 11 * MIN) == []
    history = env.executions(script)
    assert [e.status for e in history] == ["running", "cancelled", "cancelled", "cancelled"]
    for skipped in history[1:]:
        assert skipped.end_reason == "skipped" and skipped.trigger == "cron"
        assert skipped.started_at == skipped.finished_at == skipped.created_at
        assert skipped.error["name"] == "Skipped"
        assert skipped.error["message"] == f"skipped: the previous run ({first}) is still " + (
            "running" if skipped.created_at == T0 + 11 * MIN else "pending"
        )
    assert env.schedule(script).running_execution_id == first
    # finished: the next due time runs normally
    env.set_execution(first, status="completed", finished_at=T0 + 12 * MIN)
    [second] = env.claim(T0 + 12 * MIN)
    assert env.schedule(script).running_execution_id == second
    # a running row past its deadline does not block: its process died (the reaper closes it)
    env.set_execution(second, status="running", deadline_at=T0 + 13 * MIN)
    [third] = env.claim(T0 + 14 * MIN)
    assert third not in (first, second)
    assert Counter(e.end_reason for e in env.executions(script)) == {None: 3, "skipped": 3}


def test_a_stale_claimer_loses_to_the_one_that_committed_first(env, monkeypatch):
    """The conditional update alone decides (what a second consumer sees after a race)."""
    script = env.scheduled()
    with tenancy.all_tenants():
        stale = schedules._due_rows(env.session, T0, 10)
        env.session.commit()
    assert len(env.claim(T0)) == 1
    monkeypatch.setattr(schedules, "_due_rows", lambda session, now, limit: stale)
    assert env.claim(T0) == []
    assert len(env.executions(script)) == 1


def test_dst_schedule_through_the_claim(env):
    """A daily 02:30 Berlin job across both transitions, claimed minute by minute."""
    script = env.scheduled(cron="30 2 * * *", timezone="Europe/Berlin")
    start = utc(2024, 3, 30, 0)
    env.schedule(script).next_run_at = schedules.next_run_after(
        "30 2 * * *", "Europe/Berlin", start
    )
    env.session.commit()
    fired = []
    clock = [utc(2024, 3, 30, 1, 29), utc(2024, 3, 30, 1, 30)]
    clock += [utc(2024, 3, 31, 0) + i * MIN for i in range(240)]  # 00:00 to 04:00 UTC
    for now in clock:
        ids = env.claim(now)
        fired += [now] * len(ids)
        for execution_id in ids:
            env.set_execution(execution_id, status="completed")
    assert fired == [utc(2024, 3, 30, 1, 30), utc(2024, 3, 31, 1, 0)]  # 02:30 CET, then 03:00
    assert env.schedule(script).next_run_at == utc(2024, 4, 1, 0, 30)  # 02:30 CEST


# --- two consumers, one clock ------------------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import json, sys
    from datetime import datetime, timedelta

    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import update

    from flask_jsscripts import tenancy
    from flask_jsscripts.extension import JSScripts
    from flask_jsscripts.models import Execution
    from flask_jsscripts.services import schedules

    url, start, minutes, finishing = sys.argv[1:5]
    start, minutes = datetime.fromisoformat(start), int(minutes)
    app = Flask("consumer")
    app.config.update(
        SQLALCHEMY_DATABASE_URI=url,
        SECRET_KEY="x",
        JSSCRIPTS_HUEY_URL="memory://",
        # SQLite: a writer waits for the other's transaction instead of failing at once
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 30}} if "sqlite" in url else {},
    )
    db = SQLAlchemy()
    db.init_app(app)
    JSScripts().init_app(app, db=db)
    claimed = []
    with app.app_context(), tenancy.all_tenants():
        db.session.connection()  # connect before the start line
        db.session.rollback()
        print("ready", flush=True)
        for i in range(minutes):
            if sys.stdin.readline().strip() != "go":
                break
            now = start + i * timedelta(minutes=1)
            ids = schedules.claim_due(db.session, app.config, now=now)
            claimed += ids
            # the runs of one script finish at once, the others stay pending (overlap)
            db.session.execute(
                update(Execution)
                .where(Execution.id.in_(ids), Execution.script_id == finishing)
                .values(status="completed", finished_at=now)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            print("done", flush=True)
    print(json.dumps(claimed), flush=True)
    """
)


def _expect(proc: subprocess.Popen, word: str, errors) -> None:
    line = proc.stdout.readline().strip()
    if line != word:
        proc.kill()
        pytest.fail(f"consumer said {line!r}, not {word!r}:\n{errors.read_text()[-3000:]}")


def test_two_consumers_run_each_due_time_once_and_skip_overlaps(env, database_url, tmp_path):
    """Two OS processes call claim_due for the same 120 simulated minutes, in lockstep (each
    minute starts in both at once): every due run happens exactly once, none is missing."""
    every = env.scheduled("every", cron="* * * * *")  # its runs finish within the minute
    with tenancy.tenant_scope("globex"):
        five = env.scheduled("five", cron="*/5 * * * *")  # its first run never finishes
    every, five = every.id, five.id
    env.session.remove()
    minutes = 120
    procs, logs = [], []
    for n in range(2):
        log = tmp_path / f"consumer{n}.err"
        logs.append(log)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", WORKER, database_url, T0.isoformat(), str(minutes), every],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log.open("w"),
                text=True,
            )
        )
    began = time.monotonic()
    try:
        for proc, log in zip(procs, logs, strict=True):
            _expect(proc, "ready", log)
        for _ in range(minutes):
            for proc in procs:
                proc.stdin.write("go\n")
                proc.stdin.flush()
            for proc, log in zip(procs, logs, strict=True):
                _expect(proc, "done", log)
        for proc in procs:
            proc.stdin.close()
        claimed = [json.loads(proc.stdout.readline()) for proc in procs]
        for proc in procs:
            assert proc.wait(timeout=30) == 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    elapsed = time.monotonic() - began
    assert elapsed < 60

    with tenancy.all_tenants():
        rows = env.session.execute(
            select(
                Execution.id,
                Execution.script_id,
                Execution.created_at,
                Execution.status,
                Execution.end_reason,
            )
        ).all()
        by_script = {s.script_id: s for s in env.session.scalars(select(Schedule))}
    # exactly one execution per due time per schedule, none missing
    due_every = [T0 + i * MIN for i in range(minutes)]
    due_five = [T0 + i * MIN for i in range(0, minutes, 5)]
    assert sorted(r.created_at for r in rows if r.script_id == every) == due_every
    assert sorted(r.created_at for r in rows if r.script_id == five) == due_five
    # "every" finished each run before the next minute: all ran; "five" overlapped itself
    assert {r.status for r in rows if r.script_id == every} == {"completed"}
    five_rows = sorted((r for r in rows if r.script_id == five), key=lambda r: r.created_at)
    assert five_rows[0].status == "pending"
    assert {(r.status, r.end_reason) for r in five_rows[1:]} == {("cancelled", "skipped")}
    # the ids handed out to enqueue: each pending run once, by one consumer only
    handed_out = claimed[0] + claimed[1]
    ran = {r.id for r in rows if r.end_reason != "skipped"}
    assert len(handed_out) == len(set(handed_out)) == len(ran) == minutes + 1
    assert set(handed_out) == ran
    assert by_script[every].next_run_at == T0 + minutes * MIN
    assert by_script[five].next_run_at == T0 + minutes * MIN
    print(f"claims per consumer: {[len(c) for c in claimed]}, lockstep took {elapsed:.1f} s")
