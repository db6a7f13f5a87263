"""The test262 runner of benchmarks/test262 keeps working: a few slice files and tests made up
here go through its functions and a real Runtime (no node needed)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parents[2] / "benchmarks" / "test262"
sys.path.insert(0, str(RUNNER))

import engines  # noqa: E402
import run  # noqa: E402
import t262  # noqa: E402

SYNC_PASS = "test/language/expressions/exponentiation/exp-operator.js"
NEGATIVE_PARSE = "test/language/expressions/coalesce/cannot-chain-head-with-logical-and.js"
ASYNC_PASS = "test/built-ins/Promise/allSettled/resolved-all-mixed.js"


class SharedRuntime:
    """The runner's engine over the suite's runtime."""

    def __init__(self, rt):
        self.rt = rt

    def run(self, source: str) -> dict:
        return engines.runtime_outcome(self.rt.run(source))

    def close(self) -> None:
        pass


@pytest.fixture
def engine(rt):
    return SharedRuntime(rt)


def made_up(source: str, **fields) -> t262.Test:
    return t262.Test(path="test/made-up.js", source=source, **fields)


def outcome_of(engine, test: t262.Test) -> tuple[bool, str]:
    return t262.judge(test, engine.run(t262.build_source(test, t262.harness_reader())))


def test_slice_files_pass_through_the_runtime(engine):
    results = run.evaluate([SYNC_PASS, NEGATIVE_PARSE, ASYNC_PASS], engine, 2, quiet=True)
    assert results["failures"] == {}
    assert (results["ran"], results["passed"]) == (3, 3)
    assert results["negative"] == {"ran": 1, "passed": 1}
    assert results["groups"]["test/language/expressions/coalesce"]["passed"] == 1


def test_a_failing_assertion_fails_with_its_message(engine):
    passed, reason = outcome_of(engine, made_up("assert.sameValue(1, 2, 'one is two');"))
    assert not passed
    assert reason.startswith("Test262Error: one is two")


def test_an_async_test_passes_only_when_done_is_called_without_error(engine):
    async_flags = {"flags": frozenset({"async"})}
    ok = made_up("Promise.resolve(1).then(function () { $DONE(); });", **async_flags)
    assert outcome_of(engine, ok) == (True, "")
    never = made_up("Promise.resolve(1).then(function () {});", **async_flags)
    assert outcome_of(engine, never)[0] is False
    error = made_up("Promise.reject(new TypeError('boom')).then($DONE, $DONE);", **async_flags)
    assert outcome_of(engine, error) == (False, "TypeError: boom")


def test_a_negative_test_that_parses_fails(engine):
    test = made_up(
        "$DONOTEVALUATE();\nvar x = 1;", negative_phase="parse", negative_type="SyntaxError"
    )
    passed, reason = outcome_of(engine, test)
    assert not passed
    assert reason.startswith("expected SyntaxError (parse), got Error: uncaught value: Test262")


def test_a_sync_test_must_run_to_its_end(engine):
    # the completion value the runner appends is not reached when the source stops early
    outcome = engine.run("var stopped = true;")
    assert t262.judge(made_up("var stopped = true;"), outcome)[0] is False


def test_frontmatter_and_exclusions():
    source = """/*---
description: x
includes:
  - compareArray.js
  - propertyHelper.js
flags: [async, onlyStrict]
negative:
  phase: runtime
  type: TypeError
features: [BigInt, Symbol]
---*/
"""
    meta = t262.parse_frontmatter(source)
    assert meta["includes"] == ["compareArray.js", "propertyHelper.js"]
    assert meta["flags"] == ["async", "onlyStrict"]
    assert meta["negative"] == {"phase": "runtime", "type": "TypeError"}
    harness = t262.harness_reader()
    assert t262.exclusion(made_up("", features=("BigInt",)), harness) == "feature BigInt"
    assert t262.exclusion(made_up("", flags=frozenset({"module"})), harness).startswith("module")
    for code in ["eval('1')", "(0, eval)('1')", "new Function('')", "AsyncFunction('')"]:
        assert t262.exclusion(made_up(code), harness) == "eval or Function constructor"
    for code in ["var eval;", "Function.prototype.call", "x.eval('1')"]:
        assert t262.exclusion(made_up(code), harness) is None


def test_sample_and_filter_are_deterministic():
    everything = run.slice_tests(t262.SLICE, "Array/prototype/at/")
    assert len(everything) > 5
    assert run.slice_tests(t262.SLICE, "Array/prototype/at/", 3) == everything[::3]


def test_bad_options_get_a_message_not_a_traceback(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run.main(["--jobs", "0"])
    assert exit_info.value.code == 2
    assert "--jobs" in capsys.readouterr().err
    assert run.main(["--no-save", "no/such/folder"]) == 2
    assert "no test path contains" in capsys.readouterr().err
