"""ES2023 -> ES5 for Duktape: @babel/standalone 7.29.13 with preset-env, run in V8 (mini-racer).

Only compile workers load it (a V8 isolate with Babel, no host functions), once, on their first
compile; runs never do. ``retainLines`` keeps every statement of the author's source on its
line (Babel's helpers are packed onto line 1 and the lines of hoisted code), so the line of a
runtime error in Duktape is the author's line. Duktape reports no columns at run time; syntax
errors carry Babel's line and column.

What Duktape cannot do and Babel cannot lower is refused here, naming the feature and its line:
BigInt (literals and the global), RegExp lookbehind assertions, the RegExp ``d`` and ``y`` flags,
WeakRef, FinalizationRegistry, SharedArrayBuffer and Atomics.

The output is made ASCII-only (see :func:`_ascii_only`) because pyduktape2 truncates strings at
NUL and mangles characters beyond the BMP.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from flask_jsscripts.runtime.errors import ScriptSyntaxError

__all__ = ["BABEL_OPTIONS", "COMPILER", "Transpiler"]

JS_DIR = Path(__file__).with_name("js")
BABEL_PATH = JS_DIR / "babel.min.js"

#: Names the compiler and its settings; stored with every compiled form, so that a form made by
#: another compiler is recompiled before it runs. Change it whenever the output may change.
COMPILER = "babel-7.29.13/env-ie11/1"

#: Options passed to ``Babel.transform`` (the refusal plugin is added inside V8). The targets
#: lower everything after ES5; Duktape's own Symbol makes the typeof-symbol rewrite useless.
BABEL_OPTIONS: dict[str, Any] = {
    "presets": [
        [
            "env",
            {
                "targets": {"ie": "11"},
                "modules": False,
                "exclude": ["transform-typeof-symbol"],
            },
        ]
    ],
    "babelrc": False,
    "configFile": False,
    "filename": "script.js",
    "sourceType": "script",
    "retainLines": True,
    "compact": False,
    "comments": False,
    "sourceMaps": False,
    "highlightCode": False,
}

# Runs in V8 next to Babel: the refusals, and errors returned as data (never thrown at Python).
_BRIDGE_JS = r"""
var __jss_compile = (function (Babel) {
  function refuse(node, message) {
    var error = new SyntaxError(message);
    error.refused = true;
    if (node.loc) error.loc = {line: node.loc.start.line, column: node.loc.start.column};
    throw error;
  }
  function hasLookbehind(pattern) {
    var inClass = false;
    for (var i = 0; i < pattern.length; i++) {
      var c = pattern.charAt(i);
      if (c === '\\') { i++; continue; }
      if (inClass) { if (c === ']') inClass = false; continue; }
      if (c === '[') { inClass = true; continue; }
      if (pattern.substr(i, 4) === '(?<=' || pattern.substr(i, 4) === '(?<!') return true;
    }
    return false;
  }
  // Identifier characters ES2015 added to ES5's sets (Other_ID_Start, Other_ID_Continue), which
  // Duktape refuses: bindings get an ASCII stand-in, property names become strings.
  var ODD_ID = /[\u00B7\u0387\u1369-\u1371\u19DA\u2118\u212E\u309B\u309C]/g;
  function asciiName(name) {
    return name.replace(ODD_ID, function (c) { return '$' + c.charCodeAt(0).toString(16) + '$'; });
  }
  function oddIdentifier(path, t) {
    var name = path.node.name, parent = path.parent;
    ODD_ID.lastIndex = 0;
    if (!ODD_ID.test(name)) return;
    var isKey = (t.isMemberExpression(parent) || t.isOptionalMemberExpression(parent))
      ? parent.property === path.node : (t.isObjectProperty(parent) || t.isObjectMethod(parent)) &&
        parent.key === path.node;
    if (isKey && !parent.computed) {
      if (!t.isObjectProperty(parent) && !t.isObjectMethod(parent)) parent.computed = true;
      path.replaceWith(t.stringLiteral(name));
    } else {
      path.node.name = asciiName(name);
    }
  }
  // A default value that is an anonymous function or class takes the binding's name (`[f = () =>
  // 1] = []` gives f.name "f"); the destructuring and parameter rewrites lose it, so it is set
  // before they run.
  function hasStaticName(cls, t) {  // a class's own static `name` member wins
    return cls.body.body.some(function (member) {
      return member.static && !member.computed &&
        (t.isIdentifier(member.key, {name: 'name'}) ||
         t.isStringLiteral(member.key, {value: 'name'}));
    });
  }
  function nameDefaults(path, state, t) {
    path.traverse({AssignmentPattern: function (p) {
      var right = p.node.right;
      var anonymous = t.isArrowFunctionExpression(right) ||
        (t.isFunctionExpression(right) && !right.id) ||
        (t.isClassExpression(right) && !right.id && !hasStaticName(right, t));
      if (anonymous && t.isIdentifier(p.node.left)) {
        p.node.right = t.callExpression(state.addHelper('setFunctionName'),
          [right, t.stringLiteral(p.node.left.name)]);
      }
    }});
  }
  // What the engine has no way to provide; `typeof X` (a feature test) stays allowed.
  var UNSUPPORTED_GLOBALS = ['BigInt', 'BigInt64Array', 'BigUint64Array', 'WeakRef',
    'FinalizationRegistry', 'SharedArrayBuffer', 'Atomics'];
  // A generator's or async function's body ends up in an anonymous callback of the regenerator
  // helper (`_regenerator().w(function (_context) {...})`), which stacks would show as
  // <anonymous>: it takes the name of the author's function.
  function authorsName(fnPath, t) {
    var id = fnPath.node.id;
    if (id && !/^_callee\d*$/.test(id.name)) {
      return id.name;
    }
    var wrapper = fnPath.parentPath && fnPath.parentPath.parentPath;  // _asyncToGenerator(.m(f))
    var target = wrapper && wrapper.parentPath;
    var node = target && (t.isVariableDeclarator(target.node) ? target.node.id :
      t.isAssignmentExpression(target.node) ? target.node.left : null);
    var name = node && t.isIdentifier(node) ? node.name.replace(/^_/, '') : '';
    return /^(ref|callee)\d*$/.test(name) ? '' : name;
  }
  function nameGeneratorBodies(path, state, t) {
    path.traverse({VariableDeclarator: function (p) {
      // `var _marked = _regenerator().m(gen)` is hoisted to the top; the position of `gen` would
      // make retainLines print everything after it from gen's line on
      var init = p.node.init;
      if (/^_marked\d*$/.test(p.node.id.name || '') && t.isCallExpression(init)) {
        init.arguments.forEach(function (arg) { arg.loc = null; });
      }
    }, CallExpression: function (p) {
      var callee = p.node.callee, body = p.node.arguments[0];
      if (!t.isMemberExpression(callee) || !t.isIdentifier(callee.property, {name: 'w'}) ||
          !t.isCallExpression(callee.object) || !t.isIdentifier(callee.object.callee) ||
          callee.object.callee.name.indexOf('_regenerator') !== 0 ||
          !t.isFunctionExpression(body) || body.id) {
        return;
      }
      var outer = p.getFunctionParent();
      var name = outer ? authorsName(outer, t) : '';
      if (name) {
        p.node.arguments[0] = t.callExpression(state.addHelper('setFunctionName'),
          [body, t.stringLiteral(name)]);
      }
    }});
  }
  function unsupported(babel) {
    var t = babel.types;
    return {name: 'jsscripts-unsupported', visitor: {
      Program: {
        enter: function (path, state) { nameDefaults(path, state, t); },
        exit: function (path, state) {
          path.traverse({Identifier: function (p) { oddIdentifier(p, t); }});
          nameGeneratorBodies(path, state, t);
        }
      },
      BigIntLiteral: function (path) { refuse(path.node, 'BigInt literals are not supported'); },
      RegExpLiteral: function (path) {
        if (hasLookbehind(path.node.pattern)) {
          refuse(path.node, 'RegExp lookbehind assertions (?<= and (?<! are not supported');
        }
        if (path.node.flags.indexOf('d') >= 0) {
          refuse(path.node, 'the RegExp flag d (match indices) is not supported');
        }
        if (path.node.flags.indexOf('y') >= 0) {
          refuse(path.node, 'the RegExp flag y (sticky) is not supported');
        }
      },
      Identifier: function (path) {
        var name = path.node.name;
        var featureTest = t.isUnaryExpression(path.parent, {operator: 'typeof'});
        if (UNSUPPORTED_GLOBALS.indexOf(name) >= 0 && path.isReferencedIdentifier() &&
            !path.scope.hasBinding(name, true) && !featureTest) {
          refuse(path.node, name + ' is not supported');
        }
      }
    }};
  }
  function text(v, dflt) {
    try { return v === undefined || v === null ? dflt : String(v); } catch (e) { return dflt; }
  }
  return function (source, optionsJson) {
    var options = JSON.parse(optionsJson);
    options.plugins = [unsupported];
    try {
      return JSON.stringify({code: Babel.transform(source, options).code});
    } catch (e) {
      var err = {name: 'Error', message: text(e, 'unknown error'), syntax: false};
      if (e !== null && typeof e === 'object') {
        err.name = text(e.name, 'Error');
        err.message = text(e.message, err.message);
        err.syntax = err.name === 'SyntaxError' || !!e.refused || !!e.loc;
        if (e.loc && typeof e.loc === 'object') {
          err.line = typeof e.loc.line === 'number' ? e.loc.line : null;
          err.column = typeof e.loc.column === 'number' ? e.loc.column : null;
        }
      }
      return JSON.stringify({error: err});
    }
  };
})(Babel);
"""

# @babel/standalone logs through console when it warns; V8 alone has none.
_CONSOLE_JS = "var console = {log: function () {}, warn: function () {}, error: function () {}};"

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
    message = re.sub("^/?" + re.escape(filename) + ": ", "", message)
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
    """Owns one V8 isolate with Babel loaded. Not shared across processes; calls are serialised.

    Create it before lowering the process's address-space limit: V8 reserves a large virtual
    range when it starts. Its own heap is capped by ``memory_mb``."""

    #: How many successful results are kept (keyed by source text).
    cache_size = 64

    def __init__(self, memory_mb: int = 512) -> None:
        import py_mini_racer  # compile workers only; run workers and the web need none of it

        self._engine = py_mini_racer
        self._memory_mb = memory_mb
        self._ctx = self._load()
        self._lock = threading.Lock()
        self._opts_json = json.dumps(BABEL_OPTIONS)
        self._cache: OrderedDict[str, str] = OrderedDict()

    def _load(self) -> Any:
        ctx = self._engine.MiniRacer()
        ctx.set_hard_memory_limit(self._memory_mb * 1_048_576)
        ctx.eval(_CONSOLE_JS)
        ctx.eval(BABEL_PATH.read_text(encoding="utf-8"))
        ctx.eval(_BRIDGE_JS)
        return ctx

    def transpile(self, source: str) -> str:
        """Return ES5 code for *source*; raise :class:`ScriptSyntaxError` if it does not parse
        or uses what Duktape cannot run."""
        if not isinstance(source, str):
            raise TypeError("source must be str")
        with self._lock:
            cached = self._cache.get(source)
            if cached is not None:
                self._cache.move_to_end(source)
                return cached
            try:
                raw = self._ctx.call("__jss_compile", source, self._opts_json)
            except self._engine.JSOOMException:  # past the heap cap: the source is at fault
                self._ctx.close()  # V8 ends an isolate that hit its cap
                self._ctx = self._load()
                raise ScriptSyntaxError("out of memory while compiling") from None
        result = json.loads(raw)
        if "error" in result:
            raise _syntax_error(result["error"], source)
        code = _ascii_only(result["code"])
        with self._lock:
            self._cache[source] = code
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return code


def _syntax_error(err: dict[str, Any], source: str) -> Exception:
    message = _clean_message(str(err.get("message", "")), BABEL_OPTIONS["filename"])
    if not err.get("syntax"):
        return RuntimeError(f"transpiler failed: {err.get('name')}: {message}")
    line, column = err.get("line"), err.get("column")
    if not isinstance(line, int):
        return ScriptSyntaxError(message, None, None)
    column = _column_in_code_points(source, line, column) if isinstance(column, int) else None
    return ScriptSyntaxError(message, line, column)
