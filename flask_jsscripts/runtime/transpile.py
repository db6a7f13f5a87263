"""Modern JavaScript -> ES5 for Duktape, using the vendored babel-standalone 6.26.0.

This module runs only inside the worker process, never in the Flask process.
Babel is loaded lazily into its own ``pyduktape2.DuktapeContext`` (separate from the
contexts that run user scripts) the first time :meth:`Transpiler.transpile` is called.

Data passing (pyduktape2 truncates strings at NUL and mangles non-BMP characters):
the source goes in as ASCII-only JSON text (``json.dumps``) that is ``JSON.parse``-d
inside Duktape; the result comes out as JSON in which every character above 0x7e is
``\\uXXXX``-escaped, and is ``json.loads``-ed here. Babel errors are caught inside
JavaScript and returned as data, so no ``pyduktape2.JSError`` reaches Python for an
ordinary syntax error.

The returned code is additionally made ASCII-only (see :func:`_ascii_only`) so that it
can be handed to another Duktape context without loss.

Loading Babel and transpiling inside Duktape are slow, hence the small per-instance LRU cache
keyed by source text; callers should also store the transpiled code alongside the source.

``retainLines: true`` keeps every statement of the author's source on its original
line (Babel's injected helpers are packed onto line 1 and the lines of hoisted code),
so ``e.lineNumber`` of a runtime error matches the author's line (also inside async
functions); the tests check this. Exception: an error raised *inside* a Babel helper
(e.g. "Cannot call a class as a function" from ``_classCallCheck``) carries the helper's
line.

Not supported (Babel 6 cannot parse them; they are reported as ScriptSyntaxError):
optional chaining, ``??``, class fields, ``for await``, async generators' iteration
protocol. ``for (x of arguments)`` fails at run time (Duktape's ``arguments`` has no
``Symbol.iterator``); ``[...arguments]`` and ``Array.from(arguments)`` work.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from flask_jsscripts.runtime.errors import ScriptSyntaxError

__all__ = ["BABEL_OPTIONS", "BABEL_PLUGINS", "Transpiler"]

JS_DIR = Path(__file__).with_name("js")
BABEL_PATH = JS_DIR / "babel.min.js"

#: Plugins, listed one by one instead of the ``es2015`` preset so that no module
#: transform (and no ``"use strict"`` from the commonjs plugin) is applied. Babel 6 runs
#: plugins in list order within one traversal; the order follows the official presets
#: (es2017/es2016 syntax first, es2015 in its preset order, regenerator last).
#: Left out on purpose: ``typeof-symbol`` (Duktape has a native ``Symbol`` and
#: ``typeof`` returns ``"symbol"``), ``sticky-regex`` (Duktape has no ``y`` flag anyway),
#: ``modules-*`` and ``strict-mode`` (scripts are not modules), all JSX/Flow/stage-x.
BABEL_PLUGINS: tuple[str, ...] = (
    # ES2017 / ES2016 / ES2018
    "syntax-trailing-function-commas",
    "transform-async-to-generator",  # async/await -> generator + Promise helper
    "transform-exponentiation-operator",  # a ** b -> Math.pow(a, b)
    "transform-object-rest-spread",  # {...a} and const {a, ...rest} = o
    # ES2015, in the order of babel-preset-es2015 (minus modules and typeof-symbol)
    "transform-es2015-template-literals",
    "transform-es2015-literals",  # 0b/0o numbers, \u{...} escapes
    "transform-es2015-function-name",
    "transform-es2015-arrow-functions",
    "transform-es2015-block-scoped-functions",
    "transform-es2015-classes",
    "transform-es2015-object-super",
    "transform-es2015-shorthand-properties",
    "transform-es2015-duplicate-keys",
    "transform-es2015-computed-properties",
    "transform-es2015-for-of",
    "transform-es2015-unicode-regex",  # /.../u -> ES5 regex
    "check-es2015-constants",  # assignment to a const is a compile-time error
    "transform-es2015-spread",
    "transform-es2015-parameters",  # defaults, rest
    "transform-es2015-destructuring",
    "transform-es2015-block-scoping",  # let/const
    "transform-regenerator",  # generators (and what async-to-generator produced)
)

#: Options passed to ``Babel.transform``.
BABEL_OPTIONS: dict[str, Any] = {
    "plugins": list(BABEL_PLUGINS),
    "presets": [],
    "babelrc": False,
    "filename": "script.js",
    "sourceType": "script",
    "retainLines": True,
    "compact": False,
    "comments": False,
    "ast": False,
    "code": True,
    "sourceMaps": False,
    "highlightCode": False,
}

# Runs inside the Babel context. Input: JSON text of the source and of the options;
# output: ASCII-only JSON of {code} or {error: {...}}.
_BRIDGE_JS = r"""
var __jss_transpile = (function (Babel) {
  function ascii(json) {
    return json.replace(/[\u007f-\uffff]/g, function (c) {
      return '\\u' + ('0000' + c.charCodeAt(0).toString(16)).slice(-4);
    });
  }
  function str(v, dflt) {
    try { return v === undefined || v === null ? dflt : String(v); } catch (e) { return dflt; }
  }
  return function (srcJson, optsJson) {
    var out;
    try {
      out = { code: Babel.transform(JSON.parse(srcJson), JSON.parse(optsJson)).code };
    } catch (e) {
      var err = { name: 'Error', message: str(e, 'unknown error'), babel: false };
      if (e !== null && typeof e === 'object') {
        err.name = str(e.name, 'Error');
        err.message = str(e.message, err.message);
        err.babel = !!e._babel;
        if (e.loc && typeof e.loc === 'object') {
          err.line = typeof e.loc.line === 'number' ? e.loc.line : null;
          err.column = typeof e.loc.column === 'number' ? e.loc.column : null;
        }
      }
      out = { error: err };
    }
    return ascii(JSON.stringify(out));
  };
})(Babel);
"""

_LOC_SUFFIX = re.compile(r"\s*\(\d+:\d+\)\s*$")
_LINE_BREAK = re.compile("\r\n?|\n|\u2028|\u2029")  # what Babel's parser counts as a line break


def _column_in_code_points(source: str, line: int, column16: int) -> int:
    """Babel's 0-based column counts UTF-16 units; return a 1-based code point column."""
    lines = _LINE_BREAK.split(source)
    if not 1 <= line <= len(lines) or column16 <= 0:
        return column16 + 1
    prefix = lines[line - 1].encode("utf-16-le", "surrogatepass")[: 2 * column16]
    return len(prefix.decode("utf-16-le", "surrogatepass")) + 1


def _clean_message(message: str, filename: str) -> str:
    """Drop Babel's ``filename: `` prefix, the code frame and the ``(line:col)`` suffix."""
    prefix = filename + ": "
    if message.startswith(prefix):
        message = message[len(prefix) :]
    message = message.split("\n", 1)[0]
    return _LOC_SUFFIX.sub("", message).strip() or "Syntax error"


def _escape_char(ch: str) -> str:
    cp = ord(ch)
    if cp > 0xFFFF:
        cp -= 0x10000
        return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"
    return f"\\u{cp:04x}"


_NON_ASCII = re.compile(r"(\\*)([^\x01-\x7e])")


def _ascii_only(code: str) -> str:
    r"""Escape NUL and every non-ASCII character of Babel's output as ``\uXXXX``.

    With comments off, such characters can only occur in string/regex literals and
    identifiers, where a ``\uXXXX`` escape means the same character. A character that
    was itself escaped (odd run of backslashes: ``"\é"`` is an identity escape) loses
    that backslash; an escaped U+2028/U+2029 is a line continuation and is dropped.
    """

    def repl(m: re.Match[str]) -> str:
        slashes, ch = m.group(1), m.group(2)
        if len(slashes) % 2 == 1:
            slashes = slashes[:-1]
            if ch in "\u2028\u2029":
                return slashes
        return slashes + _escape_char(ch)

    return _NON_ASCII.sub(repl, code)


class Transpiler:
    """Owns one Duktape context with Babel loaded. Not shared across processes.

    Thread-safe (calls are serialised); pyduktape2 contexts must stay on the thread
    that created them, so the context is created by whichever thread calls first and
    later calls from another thread fail inside pyduktape2.
    """

    #: How many successful results are kept (keyed by source text); transpiling is slow.
    cache_size = 64

    def __init__(self) -> None:
        self._ctx: Any = None
        self._lock = threading.Lock()
        self._opts_json = json.dumps(BABEL_OPTIONS)
        self._cache: OrderedDict[str, str] = OrderedDict()

    def _context(self) -> Any:
        if self._ctx is None:
            import pyduktape2  # worker-only dependency

            ctx = pyduktape2.DuktapeContext()
            ctx.eval_js(BABEL_PATH.read_text(encoding="utf-8"))
            ctx.eval_js(_BRIDGE_JS)
            self._ctx = ctx
        return self._ctx

    def transpile(self, source: str) -> str:
        """Return ES5 code for *source*; raise :class:`ScriptSyntaxError` if it does not parse."""
        if not isinstance(source, str):
            raise TypeError("source must be str")
        with self._lock:
            cached = self._cache.get(source)
            if cached is not None:
                self._cache.move_to_end(source)
                return cached
            ctx = self._context()
            ctx.set_globals(
                __jss_src=json.dumps(source, ensure_ascii=True),
                __jss_opts=self._opts_json,
            )
            try:
                raw = ctx.eval_js("__jss_transpile(__jss_src, __jss_opts)")
            finally:
                ctx.set_globals(__jss_src="")
        result = json.loads(raw)
        if "error" in result:
            err = result["error"]
            message = _clean_message(str(err.get("message", "")), BABEL_OPTIONS["filename"])
            line = err.get("line")
            column = err.get("column")
            if err.get("babel") or err.get("name") == "SyntaxError" or line is not None:
                if not isinstance(line, int):
                    line = column = None
                elif isinstance(column, int):
                    column = _column_in_code_points(source, line, column)
                else:
                    column = None
                raise ScriptSyntaxError(message, line, column)
            raise RuntimeError(f"transpiler failed: {err.get('name')}: {message}")
        code = _ascii_only(result["code"])
        with self._lock:
            self._cache[source] = code
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return code
