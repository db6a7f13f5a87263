"""The host side of the ``Intl`` object scripts see (``js/intl.js``), backed by Babel.

Numbers, dates, plural rules and relative times are formatted by the Babel library, with the
CLDR data the host's own pages use (flask-babel), so a script's ``toLocaleString`` reads like
the page around it. The worker answers ``intl.js`` in-process through its bridge (kind
``"intl"``): formatting is pure, so no frame goes to the parent.

Requests and answers are ASCII JSON. ``answer`` never raises: a bad argument comes back as
``{"error": [name, message]}`` and ``intl.js`` throws that JavaScript error (RangeError,
TypeError, as V8 would).

Defaults: the locale is ``"en"`` and the time zone ``"UTC"`` (never the worker's own zone, so a
run formats the same on every host). A run may carry others: ``Runtime.run(..., locale=,
time_zone=)`` sends them in the run frame and the worker calls ``begin_run`` before the run;
the next run starts from the plain defaults again. An unknown locale falls back like a
browser's "best fit": ``ru-XX`` to ``ru``, then to the run's default.

What Babel cannot do, this does not pretend to: no ``unit`` style or compact/scientific
notation, ``signDisplay`` only ``auto``, the Gregorian calendar and Latin digits only; the
Collator compares by a simple multi-level key (letters by code point after removing case and
accents), not by the full Unicode collation algorithm.
"""

from __future__ import annotations

import contextlib
import copy
import json
import unicodedata
from collections import OrderedDict
from typing import Any

from babel.numbers import get_currency_name, get_currency_precision, get_currency_symbol

from . import intl_dates
from .intl_core import (
    DEFAULT_LOCALE,
    IntlError,
    babel_locale,
    canonical_list,
    choice,
    digit_options,
    flag,
    parse_number,
    range_error,
    remember,
    render,
    resolve_locale,
    round_digits,
    supported,
)

_defaults = {"locale": DEFAULT_LOCALE, "timeZone": intl_dates.DEFAULT_TIME_ZONE}


def begin_run(settings: dict[str, Any] | None) -> None:
    """Set the defaults of the next run: ``{"locale": tag, "timeZone": name}``, either may be
    missing (then "en", "UTC"), as may be the whole; values the host did not check fall back
    to those too. Every run starts here, so no run inherits another's defaults."""
    _defaults["locale"] = DEFAULT_LOCALE
    _defaults["timeZone"] = intl_dates.DEFAULT_TIME_ZONE
    if not isinstance(settings, dict):
        return
    with contextlib.suppress(IntlError):
        if settings.get("locale"):
            _defaults["locale"] = resolve_locale([settings["locale"]], DEFAULT_LOCALE)
    with contextlib.suppress(IntlError):
        if settings.get("timeZone"):
            _defaults["timeZone"] = intl_dates.canonical_zone(settings["timeZone"])


def check_defaults(locale: str | None, time_zone: str | None) -> dict[str, str]:
    """Validate a run's defaults in the caller's process; ValueError names the bad one."""
    settings: dict[str, str] = {}
    try:
        if locale is not None:
            settings["locale"] = resolve_locale([locale], DEFAULT_LOCALE)
        if time_zone is not None:
            settings["timeZone"] = intl_dates.canonical_zone(time_zone)
    except IntlError as exc:
        raise ValueError(f"locale/time_zone: {exc.message}") from None
    return settings


# -- NumberFormat ----------------------------------------------------------------------------
_CURRENCY_DISPLAY = ("symbol", "narrowSymbol", "code", "name")


def _number_options(locale: str, options: dict[str, Any]) -> dict[str, Any]:
    kind = "NumberFormat"
    choice(options, "localeMatcher", ("lookup", "best fit"), kind)
    style = choice(options, "style", ("decimal", "percent", "currency", "unit"), kind, "decimal")
    if style == "unit":
        raise range_error("Intl.NumberFormat style unit is not supported here")
    currency = options.get("currency")
    if currency is not None:
        currency = str(currency)
        if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
            raise range_error(f"Invalid currency code : {currency}")
        currency = currency.upper()
    display = choice(options, "currencyDisplay", _CURRENCY_DISPLAY, kind, "symbol")
    sign = choice(options, "currencySign", ("standard", "accounting"), kind, "standard")
    choice(options, "notation", ("standard",), kind)
    choice(options, "signDisplay", ("auto",), kind)
    resolved: dict[str, Any] = {"locale": locale, "numberingSystem": "latn", "style": style}
    if style == "currency":
        if currency is None:
            raise IntlError("TypeError", "Currency code is required with currency style.")
        resolved.update(currency=currency, currencyDisplay=display, currencySign=sign)
        places = get_currency_precision(currency)
        resolved.update(digit_options(options, places, places))
    else:
        resolved.update(digit_options(options, 0, 0 if style == "percent" else 3))
    grouping = options.get("useGrouping")
    if grouping is None:
        grouping = "auto"
    elif grouping is True:
        grouping = "always"
    elif grouping not in (False, "always", "auto", "min2"):
        raise range_error(
            f"Value {grouping} out of range for Intl.NumberFormat options property useGrouping"
        )
    resolved.update(
        useGrouping=grouping,
        notation="standard",
        signDisplay="auto",
        roundingMode="halfExpand",
        roundingIncrement=1,
        trailingZeroDisplay="auto",
        roundingPriority="auto",
    )
    return resolved


class NumberFormatter:
    def __init__(self, resolved: dict[str, Any]):
        self.resolved = resolved
        self.locale = babel_locale(resolved["locale"])
        style = resolved["style"]
        self.currency = resolved.get("currency")
        if style == "percent":
            self.pattern = self.locale.percent_formats[None]
        elif style == "currency" and resolved["currencyDisplay"] != "name":
            self.pattern = self.locale.currency_formats[resolved["currencySign"]]
            if resolved["currencyDisplay"] == "code":
                self.pattern = _with_code(self.pattern)
        else:
            self.pattern = self.locale.decimal_formats[None]

    def text(self, value: Any) -> str:
        number = parse_number(value)
        grouping = self.resolved["useGrouping"]
        if grouping == "min2" and number.is_finite() and abs(number) < 10000:
            grouping = False
        text = render(self.pattern, self.locale, number, self.resolved, grouping, self.currency)
        if self.resolved.get("currencyDisplay") == "name":
            # the plural of the digits shown: "1,00" is not "one" in Russian
            shown = shown_number(number, self.resolved) if number.is_finite() else None
            plural = self.locale.plural_form(shown) if shown is not None else "other"
            units = self.locale._data["currency_unit_patterns"]
            unit = units.get(plural) or units["other"]
            name = get_currency_name(self.currency, count=shown, locale=self.locale)
            text = unit.replace("{0}", text).replace("{1}", name)
        return text

    def parts(self, value: Any) -> list[dict[str, str]]:
        return number_parts(self.text(value), self.locale, self._currency_text())

    def _currency_text(self) -> str | None:
        if self.currency is None:
            return None
        display = self.resolved["currencyDisplay"]
        if display == "code":
            return self.currency
        if display == "name":
            return None  # the name is found as a literal
        return get_currency_symbol(self.currency, self.locale)


def _with_code(pattern: Any) -> Any:
    shaped = copy.copy(pattern)
    shaped.prefix = tuple(
        p.replace("¤", "¤¤\xa0") if p.endswith("¤") else p for p in pattern.prefix
    )
    shaped.suffix = tuple(s.replace("¤", "¤¤") for s in pattern.suffix)
    return shaped


def number_parts(text: str, locale: Any, currency: str | None) -> list[dict[str, str]]:
    """Split a formatted number the way formatToParts does."""
    symbols = locale.number_symbols["latn"]
    named = {
        symbols["group"]: "group",
        symbols["decimal"]: "decimal",
        symbols["percentSign"]: "percentSign",
        symbols["minusSign"]: "minusSign",
        symbols["plusSign"]: "plusSign",
        symbols["infinity"]: "infinity",
        symbols["nan"]: "nan",
    }
    if currency:
        named[currency] = "currency"
    parts: list[dict[str, str]] = []
    seen_decimal = False
    i = 0
    while i < len(text):
        if text[i].isdigit():
            j = i
            while j < len(text) and text[j].isdigit():
                j += 1
            kind = "fraction" if seen_decimal else "integer"
            parts.append({"type": kind, "value": text[i:j]})
            i = j
            continue
        match = max((s for s in named if s and text.startswith(s, i)), key=len, default=None)
        if (
            match is not None
            and named[match] == "group"
            and not (parts and parts[-1]["type"] == "integer")
        ):
            match = None  # a group separator only between digits (a space may be a literal)
        if match is not None:
            seen_decimal = seen_decimal or named[match] == "decimal"
            parts.append({"type": named[match], "value": match})
            i += len(match)
            continue
        if parts and parts[-1]["type"] == "literal":
            parts[-1]["value"] += text[i]
        else:
            parts.append({"type": "literal", "value": text[i]})
        i += 1
    return parts


# -- PluralRules ------------------------------------------------------------------------------
def _plural_options(locale: str, options: dict[str, Any]) -> dict[str, Any]:
    choice(options, "localeMatcher", ("lookup", "best fit"), "PluralRules")
    kind = choice(options, "type", ("cardinal", "ordinal"), "PluralRules", "cardinal")
    resolved: dict[str, Any] = {"locale": locale, "type": kind}
    resolved.update(digit_options(options, 0, 3))
    rule = _plural_rule(locale, kind)
    resolved["pluralCategories"] = sorted(rule.tags) + ["other"]
    return resolved


def _plural_rule(locale: str, kind: str) -> Any:
    found = babel_locale(locale)
    return found.ordinal_form if kind == "ordinal" else found.plural_form


class PluralSelector:
    def __init__(self, resolved: dict[str, Any]):
        self.resolved = resolved
        self.rule = _plural_rule(resolved["locale"], resolved["type"])

    def text(self, value: Any) -> str:
        return plural_category(self.rule, parse_number(value), self.resolved)

    parts = text


def shown_number(number: Any, digits: dict[str, Any]) -> Any:
    """``number`` as formatting shows it, trailing zeros included: plural rules count the
    visible fraction digits ("1.0" is not "one" in English)."""
    rounded, low, _ = round_digits(abs(number), digits)
    shown = rounded.normalize() if rounded else rounded
    if -shown.as_tuple().exponent < low:
        shown = shown.quantize(type(shown)(1).scaleb(-low))
    return shown


def plural_category(rule: Any, number: Any, digits: dict[str, Any]) -> str:
    return rule(shown_number(number, digits)) if number.is_finite() else "other"


# -- RelativeTimeFormat -------------------------------------------------------------------------
_UNITS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")


def _relative_options(locale: str, options: dict[str, Any]) -> dict[str, Any]:
    kind = "RelativeTimeFormat"
    choice(options, "localeMatcher", ("lookup", "best fit"), kind)
    style = choice(options, "style", ("long", "short", "narrow"), kind, "long")
    numeric = choice(options, "numeric", ("always", "auto"), kind, "always")
    return {"locale": locale, "style": style, "numeric": numeric, "numberingSystem": "latn"}


class RelativeFormatter:
    def __init__(self, resolved: dict[str, Any]):
        self.resolved = resolved
        self.locale = babel_locale(resolved["locale"])
        self.number = NumberFormatter(_number_options(resolved["locale"], {}))

    def _unit_data(self, unit: Any, method: str) -> tuple[str, Any]:
        name = unit[:-1] if isinstance(unit, str) and unit.endswith("s") else unit
        if name not in _UNITS:
            raise range_error(
                f"Invalid unit argument for Intl.RelativeTimeFormat.prototype.{method}() '{unit}'"
            )
        style = self.resolved["style"]
        fields = self.locale._data["date_fields"]
        key = name if style == "long" else f"{name}-{style}"
        return name, fields.get(key) or fields[name]

    def text(self, value: Any, method: str = "format") -> str:
        return "".join(part["value"] for part in self.parts(value, method))

    def parts(self, value: Any, method: str = "formatToParts") -> list[dict[str, str]]:
        if not isinstance(value, list) or len(value) != 2:
            raise IntlError("TypeError", "expected a value and a unit")
        number = parse_number(value[0])
        name, data = self._unit_data(value[1], method)
        if not number.is_finite():
            raise range_error(
                f"Value need to be finite number for Intl.RelativeTimeFormat.prototype.{method}()"
            )
        if self.resolved["numeric"] == "auto" and number == number.to_integral_value():
            literal = data.get("relative", {}).get(int(number))
            if literal:
                return [{"type": "literal", "value": literal}]
        past = number.is_signed()
        magnitude = abs(number)
        patterns = data["past" if past else "future"]
        category = plural_category(self.locale.plural_form, magnitude, self.number.resolved)
        pattern = patterns.get(category) or patterns["other"]
        head, _, tail = pattern.partition("{0}")
        parts = [{"type": "literal", "value": head}] if head else []
        for part in self.number.parts(str(magnitude)):
            parts.append({**part, "unit": name})
        if tail:
            parts.append({"type": "literal", "value": tail})
        return parts


# -- Collator -------------------------------------------------------------------------------
def _collator_options(locale: str, options: dict[str, Any]) -> dict[str, Any]:
    kind = "Collator"
    usage = choice(options, "usage", ("sort", "search"), kind, "sort")
    choice(options, "localeMatcher", ("lookup", "best fit"), kind)
    numeric = flag(options, "numeric", False)
    case_first = choice(options, "caseFirst", ("upper", "lower", "false"), kind, "false")
    sensitivity = choice(
        options, "sensitivity", ("base", "accent", "case", "variant"), kind, "variant"
    )
    ignore = flag(options, "ignorePunctuation", False)
    return {
        "locale": locale,
        "usage": usage,
        "sensitivity": sensitivity,
        "ignorePunctuation": ignore,
        "collation": "default",
        "numeric": numeric,
        "caseFirst": case_first,
    }


# Sorting calls compare n log n times with the same strings. The cache outlives runs, so it
# holds short strings only and a bounded number of them (a few MB at most).
_KEYS: OrderedDict[tuple[str, str], tuple[Any, ...]] = OrderedDict()
MAX_KEYS = 2048


class Collator:
    def __init__(self, resolved: dict[str, Any]):
        self.resolved = resolved
        sensitivity = resolved["sensitivity"]
        self.levels = {
            "base": (0,),
            "accent": (0, 1),
            "case": (0, 2),
            "variant": (0, 1, 2),
        }[sensitivity]
        self.signature = json.dumps(
            [resolved[k] for k in ("numeric", "ignorePunctuation", "caseFirst")]
        )

    def key(self, text: str) -> tuple[Any, ...]:
        if len(text) > 64:
            return _collation_key(text, self.resolved)
        slot = (self.signature, text)
        key = _KEYS.get(slot)
        if key is None:
            key = _KEYS[slot] = _collation_key(text, self.resolved)
            while len(_KEYS) > MAX_KEYS:
                _KEYS.popitem(last=False)
        return key

    def text(self, value: Any) -> int:
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, str) for v in value)
        ):
            raise IntlError("TypeError", "expected two strings")
        left, right = self.key(value[0]), self.key(value[1])
        for level in self.levels:
            if left[level] != right[level]:
                return -1 if left[level] < right[level] else 1
        return 0

    parts = text


# ASCII spaces, punctuation and symbols in the order of the Unicode root collation (other
# characters of this group follow, by code point)
_PUNCTUATION = {c: f"{i:02d}" for i, c in enumerate("\t\n\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$")}


def _collation_key(text: str, options: dict[str, Any]) -> tuple[Any, ...]:
    """(primary, accents, case) lists: punctuation < digits < letters at the first level."""
    primary: list[tuple[int, Any]] = []
    accents: list[tuple[str, ...]] = []
    cases: list[int] = []
    upper_first = options["caseFirst"] == "upper"
    chars = unicodedata.normalize("NFD", text)
    i = 0
    while i < len(chars):
        char = chars[i]
        i += 1
        category = unicodedata.category(char)
        if category.startswith("M"):
            if accents:
                accents[-1] += (char,)
            continue
        if options["ignorePunctuation"] and category[0] in "PZ":
            continue
        if options["numeric"] and char.isdigit():
            start = i - 1
            while i < len(chars) and chars[i].isdigit():
                i += 1
            digits = "".join(str(unicodedata.digit(c, 0)) for c in chars[start:i]).lstrip("0")
            primary.append((1, (len(digits), digits)))
        elif char.isalpha() or char.isdigit():
            primary.append((2 if char.isalpha() else 1, char.casefold()))
        else:
            primary.append((0, _PUNCTUATION.get(char, char)))
        accents.append(())
        lower = char == char.lower() and char != char.upper()
        cases.append(
            (1 if lower else 0)
            if upper_first
            else (0 if lower or char == char.upper() == char.lower() else 1)
        )
    return primary, accents, cases


# -- the service ----------------------------------------------------------------------------
_RESOLVERS: dict[str, Any] = {
    "NumberFormat": (_number_options, NumberFormatter),
    "PluralRules": (_plural_options, PluralSelector),
    "RelativeTimeFormat": (_relative_options, RelativeFormatter),
    "Collator": (_collator_options, Collator),
    "DateTimeFormat": (intl_dates.resolve, intl_dates.DateFormatter),
}
_FORMATTERS: OrderedDict[str, Any] = OrderedDict()
MAX_FORMATTERS = 256
MAX_KEY_LENGTH = 2048


def _resolve(request: dict[str, Any]) -> dict[str, Any]:
    kind = request.get("kind")
    if kind not in _RESOLVERS:
        raise IntlError("TypeError", "unknown Intl service")
    options = request.get("options") or {}
    if not isinstance(options, dict):
        raise IntlError("TypeError", "options must be an object")
    locale = resolve_locale(request.get("locales", []), _defaults["locale"])
    resolver = _RESOLVERS[kind][0]
    if kind == "DateTimeFormat":
        return resolver(
            locale, options, _defaults["timeZone"], request.get("req"), request.get("def")
        )
    return resolver(locale, options)


def _formatter(kind: Any, key: str, resolved: dict[str, Any] | None) -> Any:
    """The formatter of ``key`` (a resolution's JSON text), built once. A key that did not
    come from this module (a script may forge one) is resolved again, hence validated."""
    key = f"{kind}\n{key}"
    found = _FORMATTERS.get(key)
    if found is None:
        if resolved is None:
            given = json.loads(key.partition("\n")[2])
            if not isinstance(given, dict):
                raise IntlError("TypeError", "incompatible receiver")
            if "hourCycle" in given:  # hour12 would override it (h24 is no hour12: false)
                given.pop("hour12", None)
            resolved = _resolve(
                {
                    "kind": kind,
                    "locales": [given.get("locale")],
                    "options": given,
                    "req": "any",
                    "def": "none",
                }
            )
        found = _RESOLVERS[kind][1](resolved)
        if len(key) > MAX_KEY_LENGTH:
            return found  # a forged or padded key must not fill the worker's memory
        remember(_FORMATTERS, key, found, MAX_FORMATTERS)
    else:
        _FORMATTERS.move_to_end(key)
    return found


def _serve(request: dict[str, Any]) -> Any:
    op = request.get("op")
    if op == "resolve":
        return _resolve(request)
    if op == "format":
        formatter = _formatter(request.get("kind"), str(request.get("r")), None)
        return (
            formatter.parts(request.get("v"))
            if request.get("parts")
            else formatter.text(request.get("v"))
        )
    if op == "once":
        # toLocaleString and friends: resolve and format in one crossing
        key = json.dumps([request.get(k) for k in ("kind", "locales", "options", "req", "def")])
        key += _defaults["locale"] + " " + _defaults["timeZone"]
        formatter = _FORMATTERS.get(f"{request.get('kind')}\n{key}")
        if formatter is None:
            formatter = _formatter(request.get("kind"), key, _resolve(request))
        return formatter.text(request.get("v"))
    if op == "canonical":
        return canonical_list(request.get("locales"))
    if op == "supported":
        return supported(request.get("locales"))
    raise IntlError("TypeError", "unknown Intl request")


def answer(text: str) -> str:
    """Answer one request of ``intl.js``; never raises."""
    try:
        request = json.loads(text)
        if not isinstance(request, dict):
            raise IntlError("TypeError", "malformed Intl request")
        return json.dumps({"ok": _serve(request)})
    except IntlError as exc:
        return json.dumps({"error": [exc.name, exc.message]})
    except MemoryError:
        # the shim reports a run whose error says "alloc failed" as out of memory
        return '{"error":["RangeError","Intl: alloc failed (memory limit)"]}'
    except RecursionError:
        return '{"error":["RangeError","Intl: request nested too deeply"]}'
    except Exception as exc:  # noqa: BLE001 - anything Babel raises is a bad argument
        return json.dumps({"error": ["RangeError", f"Intl: {type(exc).__name__}"]})
