"""test262 tests as this runner sees them: the frontmatter, which tests are left out and why,
the source a test runs as, and whether an outcome passes.

An outcome is engine-neutral: ``{"status", "value", "error": {"name", "message"} | None}`` with
the statuses of ``flask_jsscripts.runtime.RunResult`` ("completed", "failed", "timeout", ...).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SLICE = Path(__file__).resolve().parent / "slice"

# What the source of a synchronous test evaluates to when it ran to its end.
SYNC_COMPLETE = "Test262:SyncTestComplete"
ASYNC_COMPLETE = "Test262:AsyncTestComplete"
ASYNC_FAILURE = "Test262:AsyncTestFailure:"

# Features of the slice's folders that are newer than ES2023 and that the issue does not ask
# for; BigInt is left out by the issue itself.
EXCLUDED_FEATURES = frozenset(
    {
        "BigInt",
        "set-methods",
        "upsert",
        "error-stack-accessor",
        "Error.isError",
        "regexp-duplicate-named-groups",
        "explicit-resource-management",
        "decorators",
        "regexp-v-flag",
        "resizable-arraybuffer",
        "regexp-modifiers",
        "json-parse-with-source",
        "iterator-helpers",
        "Math.sumPrecise",
        "uint8array-base64",
        "import-defer",
        "source-phase-imports",
        "Array.fromAsync",
        "promise-with-resolvers",
        "Temporal",
        "ShadowRealm",
    }
)

# Code generation from strings, which the sandbox removes on purpose: the text of a test or of
# a harness file it includes (outside the frontmatter) calls eval (``eval(``, ``eval?.(``,
# ``(0, eval)(``), reads it as a value (``.call(eval)``, ``eval ===``) or calls a Function
# constructor (plain, async, generator). ``eval`` as a binding name does not count.
_CODE_FROM_STRINGS = re.compile(
    r"(?<![\w$.])eval\s*(?:\?\.\s*)?\("
    r"|(?<![\w$.])eval\s*\)\s*\("
    r"|\.call\(\s*eval\s*\)"
    r"|(?<![\w$.])eval\s*[!=]=="
    r"|(?<![\w$.])(?:Async)?(?:Generator)?Function\s*\("
)
_FRONTMATTER = re.compile(r"/\*---(.*?)---\*/", re.DOTALL)

# Stands in for the host's print() for doneprintHandle.js: the first message settles the
# promise that the source evaluates to (ES5, so that it needs no transpiling).
_ASYNC_PRELUDE = """var __test262 = (function () {
  var report = null;
  var settle;
  var done = new Promise(function (resolve) { settle = resolve; });
  return {done: done, print: function (message) {
    if (report === null) { report = String(message); settle(report); }
  }};
})();
var print = __test262.print;
"""


@dataclass(frozen=True)
class Test:
    path: str  # relative to the slice: "test/..."
    source: str
    includes: tuple[str, ...] = ()
    flags: frozenset[str] = frozenset()
    features: tuple[str, ...] = ()
    negative_phase: str | None = None
    negative_type: str | None = None

    @property
    def is_async(self) -> bool:
        return "async" in self.flags

    @property
    def is_negative(self) -> bool:
        return self.negative_type is not None


def _list_value(value: str, following: list[str]) -> list[str]:
    value = value.strip()
    if value.startswith("["):
        return [v.strip() for v in value.strip("[]").split(",") if v.strip()]
    if value:
        return [value]
    items = []
    for line in following:
        stripped = line.strip()
        if not stripped.startswith("- "):
            break
        items.append(stripped[2:].strip())
    return items


def parse_frontmatter(text: str) -> dict[str, Any]:
    """The keys of a test's YAML frontmatter that the runner uses: includes, flags, features
    (lists) and negative (phase, type). test262 writes them in a small, regular subset of YAML."""
    match = _FRONTMATTER.search(text)
    meta: dict[str, Any] = {"includes": [], "flags": [], "features": [], "negative": None}
    if match is None:
        return meta
    lines = match.group(1).splitlines()
    for i, line in enumerate(lines):
        key, sep, value = line.partition(":")
        if not sep or line[:1].isspace():
            continue
        if key in ("includes", "flags", "features"):
            meta[key] = _list_value(value, lines[i + 1 :])
        elif key == "negative":
            negative = {}
            for sub in lines[i + 1 :]:
                if not sub[:1].isspace():
                    break
                name, _, val = sub.strip().partition(":")
                negative[name.strip()] = val.strip()
            meta["negative"] = negative
    return meta


def load_test(path: str, slice_dir: Path = SLICE) -> Test:
    source = (slice_dir / path).read_text(encoding="utf-8")
    meta = parse_frontmatter(source)
    negative = meta["negative"] or {}
    return Test(
        path=path,
        source=source,
        includes=tuple(meta["includes"]),
        flags=frozenset(meta["flags"]),
        features=tuple(meta["features"]),
        negative_phase=negative.get("phase"),
        negative_type=negative.get("type"),
    )


def harness_reader(slice_dir: Path = SLICE) -> Callable[[str], str]:
    """A cached reader of the slice's harness files by name."""
    cache: dict[str, str] = {}

    def read(name: str) -> str:
        if name not in cache:
            cache[name] = (slice_dir / "harness" / name).read_text(encoding="utf-8")
        return cache[name]

    return read


def harness_files(test: Test) -> list[str]:
    if "raw" in test.flags:
        return []
    names = ["assert.js", "sta.js", *test.includes]
    if test.is_async:
        names.append("doneprintHandle.js")
    return list(dict.fromkeys(names))


def exclusion(test: Test, harness: Callable[[str], str]) -> str | None:
    """Why a test is left out (a short label), or None when it runs."""
    if "module" in test.flags:
        return "module (scripts are not modules)"
    newer = [f for f in test.features if f in EXCLUDED_FEATURES]
    if newer:
        return f"feature {newer[0]}"
    for text in [test.source, *(harness(n) for n in harness_files(test))]:
        if _CODE_FROM_STRINGS.search(_FRONTMATTER.sub("", text)):
            return "eval or Function constructor"
    return None


def build_source(test: Test, harness: Callable[[str], str]) -> str:
    """The one script a test runs as: "use strict" for onlyStrict tests, the harness files,
    the test, then an expression whose value tells the test ran to its end (sync tests) or
    settles once $DONE is called (async tests). Raw tests run exactly as written."""
    if "raw" in test.flags:
        return test.source
    parts = ['"use strict";\n'] if "onlyStrict" in test.flags else []
    if test.is_async:
        parts.append(_ASYNC_PRELUDE)
    parts += [harness(name) + "\n" for name in harness_files(test)]
    parts.append(test.source)
    parts.append("\n;__test262.done;\n" if test.is_async else f'\n;"{SYNC_COMPLETE}";\n')
    return "".join(parts)


def describe(outcome: dict[str, Any]) -> str:
    """A one-line reason for an outcome that is not what the test wants."""
    status = outcome.get("status")
    if status == "timeout":
        return "timeout"
    if status == "memory":
        return "memory limit"
    error = outcome.get("error") or {}
    name = str(error.get("name") or "Error")
    # test262's own Test262Error has no name property: the runtime reports it as "undefined"
    if name == "undefined":
        name = "Test262Error"
    message = " ".join(str(error.get("message") or "").split())
    text = f"{name}: {message}" if message else name
    if status not in ("completed", "failed"):
        text = f"{status}: {text}"
    return text[:240]


def judge(test: Test, outcome: dict[str, Any]) -> tuple[bool, str]:
    """(passed, reason). Negative tests pass when the run fails with an error of the expected
    name; parse-phase tests begin with $DONOTEVALUATE(), so a SyntaxError means the source did
    not load. Other tests pass when the source's final value is reached (sync) or $DONE is
    called without an error (async)."""
    status, value = outcome.get("status"), outcome.get("value")
    if test.is_negative:
        expected = f"{test.negative_type} ({test.negative_phase})"
        if status == "completed":
            return False, f"expected {expected}, but the test completed"
        if status != "failed":
            return False, describe(outcome)
        name = (outcome.get("error") or {}).get("name")
        if name == test.negative_type:
            return True, ""
        return False, f"expected {expected}, got {describe(outcome)}"[:240]
    if status != "completed":
        return False, describe(outcome)
    if "raw" in test.flags:
        return True, ""
    if test.is_async:
        if value == ASYNC_COMPLETE:
            return True, ""
        if isinstance(value, str) and value.startswith(ASYNC_FAILURE):
            failure = value[len(ASYNC_FAILURE) :]
            if failure.startswith("undefined:"):  # Test262Error, as above
                failure = "Test262Error:" + failure[len("undefined:") :]
            return False, " ".join(failure.split())[:240]
        return False, f"async test ended without calling $DONE (value {str(value)[:80]})"
    if value == SYNC_COMPLETE:
        return True, ""
    return False, f"completed without reaching the end of the test (value {str(value)[:80]})"
