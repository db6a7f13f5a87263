"""Numbers in ``sdk.kv`` (issue 15, item 12): ``sdk.kv.incr('k', 1e308)`` twice stored Infinity,
which PostgreSQL's json refuses (a raw DataError, logged with a traceback) and SQLite kept (the
key could then be neither read nor incremented). A result or value beyond a JavaScript number is
the script's error NUMBER_OUT_OF_RANGE / INVALID_VALUE and nothing is stored; on SQLite and
PostgreSQL, through the real sandbox and broker.
"""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flask_jsscripts import tenancy
from flask_jsscripts.models import KVEntry
from flask_jsscripts.runtime import HostCallError
from flask_jsscripts.services import executions, scripts
from flask_jsscripts.services.broker import ScriptBroker
from flask_jsscripts.services.validation import ScriptInput


@pytest.fixture
def kv(host_app):
    """(run(source) -> execution, broker of that tenant's first script, stored(key))."""
    app, db, _ext = host_app
    state = app.extensions["jsscripts"]
    made: list[str] = []

    def run(source: str):
        with tenancy.tenant_scope("acme"):
            if not made:
                saved = scripts.create_script(
                    db.session,
                    ScriptInput(name=f"kv{time.monotonic_ns()}", source=source),
                    config=app.config,
                    runtime=state.runtime,
                )
                made.append(saved.script.id)
            else:
                scripts.update_script(
                    db.session,
                    made[0],
                    ScriptInput(name=f"kv{time.monotonic_ns()}", source=source),
                    config=app.config,
                    runtime=state.runtime,
                )
            return executions.run_script(db.session, state.run_context(), made[0], "manual")

    def broker() -> ScriptBroker:
        return ScriptBroker(
            engine=db.engine,
            config=app.config,
            exposed={},
            tenant_id="acme",
            script_id=made[0],
            user=None,
        )

    def stored(key: str):
        with Session(db.engine) as session, tenancy.tenant_scope("acme"):
            row = session.scalars(select(KVEntry).where(KVEntry.key == key)).first()
            return None if row is None else row.value

    return run, broker, stored


TWICE = """
function main() {
  var out = [sdk.kv.incr('k', 1e308)];
  try { out.push(sdk.kv.incr('k', 1e308)); } catch (e) { out.push(e.code); }
  out.push(sdk.kv.get('k'));
  try { out.push(sdk.kv.incr('k', -Infinity)); } catch (e) { out.push(e.code); }
  out.push(sdk.kv.incr('k', -1e308));
  return out;
}"""


def test_incr_past_the_largest_double_is_refused_and_stores_nothing(kv, caplog):
    run, _broker, stored = kv
    with caplog.at_level(logging.WARNING):
        execution = run(TWICE)
    assert execution.status == "completed", execution.error
    # -Infinity reaches the server as null (JSON has no Infinity): not a number to add
    assert execution.output == [1e308, "NUMBER_OUT_OF_RANGE", 1e308, "INVALID_VALUE", 0]
    assert stored("k") == 0
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []


def test_the_key_stays_usable_after_a_refused_incr(kv):
    run, _broker, stored = kv
    run("sdk.kv.set('k', 1.5e308)")
    execution = run(
        "var e; try { sdk.kv.incr('k', 1e308) } catch (x) { e = x.code }"
        " [e, sdk.kv.get('k'), sdk.kv.incr('k', -0.5e308), sdk.kv.get('k')]"
    )
    assert execution.output == ["NUMBER_OUT_OF_RANGE", 1.5e308, 1e308, 1e308]
    assert stored("k") == 1e308


@pytest.mark.parametrize(
    ("op", "args", "code"),
    [
        ("set", ["k", float("inf")], "INVALID_VALUE"),
        ("set", ["k", {"a": [float("nan")]}], "INVALID_VALUE"),
        ("set", ["k", 10**400], "INVALID_VALUE"),  # no JavaScript number holds it
        ("set", ["k", [10**309]], "INVALID_VALUE"),
        ("incr", ["k", float("inf")], "INVALID_VALUE"),
        ("incr", ["k", float("nan")], "INVALID_VALUE"),
        ("incr", ["k", 10**400], "INVALID_VALUE"),
        ("incr", ["big", 10**308], "NUMBER_OUT_OF_RANGE"),  # 2 * 10**308: beyond a double
    ],
)
def test_values_beyond_a_double_never_reach_the_database(kv, op, args, code):
    """The broker's other callers (Python, a compromised worker) are held to the same rule as
    scripts: an integer sum does not overflow in Python, but no script could read it back."""
    run, broker, stored = kv
    run("sdk.kv.set('k', 1)")
    broker()("kv.set", ["big", 10**308])  # an int: Python adds two of them without overflow
    before = {key: stored(key) for key in ("k", "big")}
    with pytest.raises(HostCallError) as info:
        broker()(f"kv.{op}", args)
    assert info.value.code == code
    assert {key: stored(key) for key in ("k", "big")} == before


def test_a_value_nested_past_the_limit_is_refused(kv):
    run, broker, stored = kv
    deep: list = []
    for _ in range(300):
        deep = [deep]
    run("1")
    with pytest.raises(HostCallError) as info:
        broker()("kv.set", ["deep", deep])
    assert info.value.code == "INVALID_VALUE" and "nested" in info.value.message
    assert stored("deep") is None
    execution = run(
        "var v = []; for (var i = 0; i < 300; i++) v = [v];"
        " try { sdk.kv.set('deep', v); 'stored' } catch (e) { e.code }"
    )
    assert execution.output == "INVALID_VALUE"


def test_a_stored_infinity_reads_as_a_clean_error(kv, host_app):
    """A key written before the fix: SQLite kept Infinity in the JSON text. Reading it gives the
    script NUMBER_OUT_OF_RANGE (was HOST_ERROR with an error logged); setting it repairs it."""
    app, db, _ = host_app
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's json type never held Infinity")
    run, _broker, _stored = kv
    run("sdk.kv.set('k', 1)")
    with db.engine.begin() as conn:
        conn.execute(update(KVEntry.__table__).values(value=float("inf")))
    execution = run(
        "var out = []; try { sdk.kv.get('k') } catch (e) { out.push(e.code) }"
        " try { sdk.kv.incr('k') } catch (e) { out.push(e.code) }"
        " sdk.kv.set('k', 2); out.push(sdk.kv.get('k')); out"
    )
    assert execution.output == ["NUMBER_OUT_OF_RANGE", "NUMBER_OUT_OF_RANGE", 2]
