"""Sandbox workers are shared out fairly between tenants: one tenant's long runs or slow
compiles never leave another tenant's run waiting for them (real workers, real databases)."""

from __future__ import annotations

import contextlib
import threading

import pytest
from polling import wait_until
from prometheus_client import REGISTRY

from flask_jsscripts import metrics, tenancy
from flask_jsscripts.runtime import (
    Limits,
    Runtime,
    RuntimeBusyError,
    RuntimeClosedError,
    ScriptSyntaxError,
)
from flask_jsscripts.services import scripts
from flask_jsscripts.services.errors import ValidationError
from flask_jsscripts.services.validation import ScriptInput

SPIN = "while (true) {}"
TRIVIAL = "function main(ctx) { return 'pong' }"


def many_classes(count: int) -> str:
    """A source whose compile time grows faster than its size (Babel lowering private fields,
    static blocks and async generators): 900 classes are ~92 KB and keep a compile worker busy
    for well over 10 s here."""
    return (
        "\n".join(
            f"class C{i} {{ #a = {i}; static {{ this.x = 1 }} "
            "async *g() { for await (const x of []) yield x?.y ?? 1 } }"
            for i in range(count)
        )
        + "\nfunction main(ctx) { return 1 }"
    )


SLOW_COMPILE = many_classes(900)


def spin_in_background(rt: Runtime, tenant: str, count: int, timeout: float = 60.0):
    """``count`` runaway runs of ``tenant``, each in its own thread; returns the threads and
    the list their results land in (a RuntimeClosedError when the test closes the pool)."""
    outcomes: list[object] = []

    def spin() -> None:
        try:
            outcomes.append(rt.run(SPIN, limits=Limits(timeout=timeout), isolation=tenant))
        except (RuntimeBusyError, RuntimeClosedError) as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=spin, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, outcomes


# --- runs ----------------------------------------------------------------------------------


def test_another_tenants_run_starts_at_once_while_one_tenant_keeps_its_share_busy():
    """The red team's case: a pool of two, tenant A's runaway runs (more of them than workers),
    and tenant B's trivial run. A holds one worker; B's run takes the one held back and ends
    long before any of A's runs does."""
    rt = Runtime(workers=2, spare=0, tenant_reserve=1)
    try:
        hogs, _ = spin_in_background(rt, "tenant-a", 3)
        assert wait_until(lambda: rt.stats()["busy"] == 1 and rt.stats()["waiting"] == 2)
        stats = rt.stats()
        assert stats["idle"] == 1 and stats["waiting_over_share"] == 2
        for _ in range(5):  # again and again, not once by luck
            result = rt.run(TRIVIAL, isolation="tenant-b")
            assert result.status == "completed" and result.value == "pong"
        assert all(thread.is_alive() for thread in hogs)  # B was done before any of A's runs
        assert rt.stats()["busy"] == 1  # A never got the worker held back for the others
    finally:
        rt.close()
    for thread in hogs:
        thread.join(10)
        assert not thread.is_alive()


@pytest.mark.parametrize("reserve", [0, 1])
def test_a_tenant_alone_gets_the_pool_less_what_is_held_back(reserve):
    """With no reserve one tenant may take every worker; with a reserve of one its extra runs
    wait for its own runs while a worker stays idle, and all of them complete."""
    with Runtime(workers=2, spare=0, tenant_reserve=reserve) as rt:
        release = threading.Event()
        results: list[object] = [None] * 4

        def go(i: int) -> None:
            results[i] = rt.run(
                "function main(ctx) { sdk.hold(); return ctx.input; }",
                input=i,
                broker=lambda name, args: release.wait(20),
                capabilities=["hold"],
                limits=Limits(timeout=30),
                isolation="only-tenant",
            )

        runs = [threading.Thread(target=go, args=(i,)) for i in range(4)]
        for thread in runs:
            thread.start()
        expected = {"busy": 2 - reserve, "idle": reserve, "waiting": 2 + reserve}
        assert wait_until(lambda: {k: rt.stats()[k] for k in expected} == expected)
        release.set()
        for thread in runs:
            thread.join()
        assert [(r.status, r.value) for r in results] == [("completed", i) for i in range(4)]


def test_a_freed_worker_goes_to_the_waiting_tenant_holding_the_fewest():
    """Tenant A holds both workers and has two runs waiting when tenant B's run arrives: the
    first worker to come free goes to B (it holds none), then A's waiters in their order."""
    with Runtime(workers=2, spare=0, tenant_reserve=0) as rt:
        order: list[str] = []
        gates = {"a1": threading.Event(), "a2": threading.Event()}

        def broker(name, args):
            order.append(args[0])
            if args[0] in gates:  # a1 and a2 hold their workers until the test lets go
                gates[args[0]].wait(20)

        def go(tenant: str, label: str) -> None:
            rt.run(
                "function main(ctx) { sdk.mark(ctx.input); }",
                input=label,
                broker=broker,
                capabilities=["mark"],
                limits=Limits(timeout=30),
                isolation=tenant,
            )

        threads = []
        for tenant, label, waiting in [
            ("a", "a1", 0),
            ("a", "a2", 0),
            ("a", "a3", 1),
            ("a", "a4", 2),
            ("b", "b1", 3),
        ]:
            thread = threading.Thread(target=go, args=(tenant, label))
            thread.start()
            threads.append(thread)
            if label in gates:
                assert wait_until(lambda label=label: label in order)
            else:
                assert wait_until(lambda waiting=waiting: rt.stats()["waiting"] == waiting)
        gates["a1"].set()
        assert wait_until(lambda: len(order) == 5)
        gates["a2"].set()
        for thread in threads:
            thread.join()
        assert order == ["a1", "a2", "b1", "a3", "a4"]


def test_busy_errors_under_a_real_overload_say_why():
    """When nothing frees up within the acquire timeout the caller gets RuntimeBusyError
    naming the reason, and nothing stays counted as waiting or held."""
    rt = Runtime(workers=2, spare=0, tenant_reserve=1, acquire_timeout=1.0)
    try:
        hogs, _ = spin_in_background(rt, "tenant-a", 1)
        assert wait_until(lambda: rt.stats()["busy"] == 1)
        # A's second run: over its share, its own run never ends in time
        with pytest.raises(RuntimeBusyError, match=r"this tenant's runs hold 1 of the 2"):
            rt.run(TRIVIAL, isolation="tenant-a")
        spin_in_background(rt, "tenant-c", 1)  # C takes the worker held back
        assert wait_until(lambda: rt.stats()["busy"] == 2)
        # B holds nothing, but both workers are busy: a plain overload
        with pytest.raises(RuntimeBusyError, match=r"all 2 are busy"):
            rt.run(TRIVIAL, isolation="tenant-b")
        stats = rt.stats()
        assert (stats["busy"], stats["waiting"], stats["waiting_over_share"]) == (2, 0, 0)
    finally:
        rt.close()
    for thread in hogs:
        thread.join(10)


def test_waiting_over_share_is_a_gauge():
    with Runtime(workers=2, spare=0, tenant_reserve=1) as rt:
        metrics.track_pool(rt)
        hogs, _ = spin_in_background(rt, "tenant-a", 3)
        assert wait_until(lambda: rt.stats()["waiting"] == 2)
        assert REGISTRY.get_sample_value("jsscripts_pool_waiting_over_share") == 2
        assert REGISTRY.get_sample_value("jsscripts_pool_waiting") == 2
        assert REGISTRY.get_sample_value("jsscripts_pool_busy") == 1
    for thread in hogs:
        thread.join(10)


# --- compiles ------------------------------------------------------------------------------


def test_a_compile_that_times_out_delays_no_run():
    """Compiling happens in workers of its own: a source that keeps the compiler busy until
    its timeout holds none of the workers runs need, and the next compile gets a fresh one."""
    with Runtime(workers=1, spare=0, compile_timeout=3) as rt:
        outcome: list[object] = []
        trivial = rt.compile(TRIVIAL, isolation="tenant-b")  # saved earlier, as the services do

        def compile_slowly() -> None:
            try:
                rt.compile(SLOW_COMPILE, isolation="tenant-a")
            except ScriptSyntaxError as exc:
                outcome.append(exc)

        slow = threading.Thread(target=compile_slowly)
        slow.start()
        assert wait_until(lambda: rt.compile_pool.stats()["busy"] == 1)
        result = rt.run(trivial, isolation="tenant-b")
        assert result.status == "completed" and result.value == "pong"
        assert slow.is_alive()  # B's run was done while the compile still went on
        slow.join(30)
        assert "compiling took longer than 3 s" in str(outcome[0])
        assert rt.compile("var ok = 1;").code.startswith("var ok = 1;")
        assert rt.compile_pool.stats()["replacements"] == 1
        assert rt.stats()["replacements"] == 0  # no run worker was touched


def test_one_tenants_slow_compiles_leave_a_compile_worker_for_the_others():
    """Compiles are shared out like runs: tenant A's second slow compile waits for its first,
    tenant B's compile takes the worker held back."""
    rt = Runtime(workers=1, spare=0, compile_workers=2, tenant_reserve=1, compile_timeout=20)
    outcomes: list[object] = []

    def compile_slowly(n: int) -> None:
        try:
            rt.compile(f"{SLOW_COMPILE}\n// {n}", isolation="tenant-a")
        except (ScriptSyntaxError, RuntimeClosedError) as exc:
            outcomes.append(exc)

    slow = [threading.Thread(target=compile_slowly, args=(n,)) for n in range(2)]
    try:
        for thread in slow:
            thread.start()
        pool = rt.compile_pool
        assert wait_until(lambda: (pool.stats()["busy"], pool.stats()["waiting"]) == (1, 1))
        assert pool.stats()["waiting_over_share"] == 1
        compiled = rt.compile("function main() { return 'b' }", isolation="tenant-b")
        assert "return 'b'" in compiled.code and compiled.compiler == rt.compiler
        assert all(thread.is_alive() for thread in slow)
    finally:
        rt.close()  # ends A's compiles now instead of at their timeout
    for thread in slow:
        thread.join(10)
    assert len(outcomes) == 2


def test_close_stops_the_compile_workers_too():
    rt = Runtime(workers=1, spare=0)
    rt.compile("const f = () => 1;")
    pids = rt.compile_pool.pids() + rt.pool.pids()
    rt.close()
    assert wait_until(lambda: not any(_running(pid) for pid in pids))
    with pytest.raises(RuntimeClosedError):
        rt.compile("var x = 2;")


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


# --- through the services, at the extension's defaults ---------------------------------------


def _host(app_factory, runtime: Runtime | None = None, **config):
    from flask_jsscripts.extension import JSScripts

    ext = JSScripts(runtime=runtime)
    ext.permission_checker(lambda user, permission: True)
    app, db, _ = app_factory(ext=ext, config=config)
    with app.app_context():
        db.create_all()
    return app, db, ext


def _create(app, tenant: str, name: str, source: str, compile: bool = True, **fields):
    state = app.extensions["jsscripts"]
    with app.app_context(), tenancy.tenant_scope(tenant):
        return scripts.create_script(
            state.db.session,
            ScriptInput(name=name, source=source, **fields),
            config=app.config,
            runtime=state.runtime if compile else None,  # None: stored without compiling
            actor="test",
        ).script.id


def test_services_one_tenant_cannot_starve_another_of_workers(app_factory):
    """Tenant A starts more runaway runs than the pool has workers; tenant B's manual run
    completes and is recorded while all of A's runs are still going (before: B waited until
    one of A's runs was killed at its timeout)."""
    app, _db, ext = _host(app_factory, JSSCRIPTS_POOL_SIZE=2)
    hog = _create(app, "acme", "hog", SPIN, limits={"timeout": 60, "concurrency": 3})
    ping = _create(app, "globex", "ping", TRIVIAL)
    state = app.extensions["jsscripts"]
    runtime = state.runtime

    def run_hog() -> None:
        with app.app_context():
            ext.run(hog, tenant_id="acme")

    hogs = [threading.Thread(target=run_hog, daemon=True) for _ in range(3)]
    for thread in hogs:
        thread.start()
    try:
        assert wait_until(lambda: runtime.stats()["busy"] + runtime.stats()["waiting"] == 3)
        with app.app_context():
            execution = ext.run(ping, tenant_id="globex")
            assert (execution.status, execution.output) == ("completed", "pong")
        assert all(thread.is_alive() for thread in hogs)
    finally:
        state.close_runtime(0)  # ends A's runs now instead of at their timeout
    for thread in hogs:
        thread.join(15)
        assert not thread.is_alive()


def test_services_slow_saves_of_one_tenant_delay_no_run_of_another(app_factory):
    """Tenant A saves a source that keeps the compiler busy until its timeout, twice at once;
    tenant B's run completes meanwhile. A gets a form error for the source, not a 500."""
    runtime = Runtime(workers=2, compile_timeout=3)
    try:
        app, _db, ext = _host(app_factory, runtime)
        ping = _create(app, "globex", "ping", TRIVIAL)
        errors: list[ValidationError] = []

        def save(n: int) -> None:
            try:
                _create(app, "acme", f"slow-{n}", SLOW_COMPILE + f"\n// {n}")
            except ValidationError as exc:
                errors.append(exc)

        saves = [threading.Thread(target=save, args=(n,)) for n in range(2)]
        for thread in saves:
            thread.start()
        assert wait_until(lambda: runtime.compile_pool.stats()["busy"] == 1)
        with app.app_context():
            execution = ext.run(ping, tenant_id="globex")
            assert (execution.status, execution.output) == ("completed", "pong")
        assert any(thread.is_alive() for thread in saves)
        for thread in saves:
            thread.join(30)
        assert len(errors) == 2
        assert all("compiling took longer than 3 s" in e.errors["source"][0] for e in errors)
    finally:
        runtime.close()


def test_services_a_busy_compiler_is_a_form_error_and_a_retryable_run(app_factory):
    """No compile worker within the acquire timeout: a save gets a form message (nothing
    stored), a run of a version never compiled fails as POOL_BUSY (retried for events)."""
    runtime = Runtime(workers=1, compile_timeout=20, acquire_timeout=1)
    slow = threading.Thread(target=_compile_quietly, args=(runtime, SLOW_COMPILE))
    try:
        app, _db, ext = _host(app_factory, runtime)
        plain = _create(app, "acme", "plain", "function main() { return 1 }", compile=False)
        slow.start()
        assert wait_until(lambda: runtime.compile_pool.stats()["busy"] == 1)
        with pytest.raises(ValidationError) as info:
            _create(app, "acme", "modern", "const f = () => 1; function main() { return f() }")
        assert "the compiler stayed busy" in info.value.errors["source"][0]
        with app.app_context():
            execution = ext.run(plain, tenant_id="acme")
            assert execution.status == "failed"
            assert execution.error["code"] == "POOL_BUSY"
    finally:
        runtime.close()
    slow.join(10)
    assert not slow.is_alive()


def _compile_quietly(runtime: Runtime, source: str) -> None:
    with contextlib.suppress(ScriptSyntaxError, RuntimeClosedError):
        runtime.compile(source, isolation="other")
