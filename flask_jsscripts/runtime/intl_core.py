"""What every ``Intl`` service shares: errors a script sees, language tags and the choice of a
Babel locale, reading options, and numbers as Babel renders them.

Used by ``intl.py`` and ``intl_dates.py``; knows nothing of Duktape, the worker or Flask.
"""

from __future__ import annotations

import copy
import decimal
import re
from collections import OrderedDict
from typing import Any

import babel.localedata
from babel import Locale
from babel.numbers import NumberPattern, get_currency_symbol

DEFAULT_LOCALE = "en"
MAX_LOCALES = 32  # Locale objects kept per worker; Babel keeps the raw data it loaded too


class IntlError(Exception):
    """An error a script sees as the JavaScript error ``name`` (RangeError, TypeError)."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name
        self.message = message


def range_error(message: str) -> IntlError:
    return IntlError("RangeError", message)


# -- language tags -------------------------------------------------------------------------
_TAG = re.compile(
    r"^(?P<lang>[a-z]{2,3}|[a-z]{5,8})(?:-(?P<script>[a-z]{4}))?(?:-(?P<region>[a-z]{2}|\d{3}))?"
    r"(?P<variants>(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*)"
    r"(?P<ext>(?:-[a-wyz\d](?:-[a-z\d]{2,8})+)*(?:-x(?:-[a-z\d]{1,8})+)?)$",
    re.IGNORECASE,
)


def canonical_tag(tag: str) -> str:
    """The canonical casing of a well-formed BCP 47 tag; RangeError like V8 for others."""
    match = _TAG.match(tag) if isinstance(tag, str) and len(tag) <= 128 else None
    if match is None:
        raise range_error("Incorrect locale information provided")
    parts = [match["lang"].lower()]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    return "-".join(parts) + (match["variants"] + match["ext"]).lower()


def canonical_list(tags: Any) -> list[str]:
    if not isinstance(tags, list):
        raise IntlError("TypeError", "Language ID should be string or object.")
    seen: list[str] = []
    for tag in tags:
        canonical = canonical_tag(tag)
        if canonical not in seen:
            seen.append(canonical)
    return seen


def _base_subtags(tag: str) -> list[str]:
    """Language, script, region and variants (no extensions) of a canonical tag."""
    match = _TAG.match(tag)
    assert match is not None
    subtags = [match["lang"], match["script"], match["region"]]
    subtags += [v for v in match["variants"].split("-") if v]
    return [s for s in subtags if s]


def best_fit(tag: str) -> str | None:
    """The longest prefix of ``tag`` that Babel has data for, as a tag, or None."""
    subtags = _base_subtags(tag)
    while subtags:
        if babel.localedata.exists("_".join(subtags)):
            return "-".join(subtags)
        subtags.pop()
    return None


def resolve_locale(requested: Any, default: str) -> str:
    """The first requested tag Babel knows (best fit), else the run's default."""
    for tag in canonical_list(requested):
        found = best_fit(tag)
        if found is not None:
            return found
    return default


def supported(requested: Any) -> list[str]:
    return [tag for tag in canonical_list(requested) if best_fit(tag) is not None]


_LOCALES: OrderedDict[str, Locale] = OrderedDict()


def remember(cache: OrderedDict[Any, Any], key: Any, value: Any, limit: int) -> None:
    """Keep ``value`` under ``key`` in the least-recently-used ``cache`` of ``limit`` entries."""
    cache[key] = value
    while len(cache) > limit:
        cache.popitem(last=False)


def babel_locale(tag: str) -> Locale:
    """A cached Babel Locale for a tag that ``best_fit`` returned."""
    locale = _LOCALES.get(tag)
    if locale is None:
        locale = Locale.parse(tag.replace("-", "_"))
        remember(_LOCALES, tag, locale, MAX_LOCALES)
    else:
        _LOCALES.move_to_end(tag)
    return locale


# -- options -----------------------------------------------------------------------------
def choice(
    options: dict[str, Any], name: str, allowed: tuple[str, ...], kind: str, default: Any = None
) -> Any:
    """A string option out of ``allowed`` (V8's RangeError otherwise), or ``default``."""
    value = options.get(name)
    if value is None:
        return default
    if not isinstance(value, str) or value not in allowed:
        raise range_error(f"Value {value} out of range for Intl.{kind} options property {name}")
    return value


def flag(options: dict[str, Any], name: str, default: Any = None) -> Any:
    value = options.get(name)
    return default if value is None else bool(value)


def integer(options: dict[str, Any], name: str, low: int, high: int, default: Any) -> Any:
    """An integer option in [low, high]: JavaScript floors it first; NaN (null) is refused."""
    if name not in options:
        return default
    value = options[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise range_error(f"{name} value is out of range.")
    if not low <= value <= high:
        raise range_error(f"{name} value is out of range.")
    return int(value)


def digit_options(options: dict[str, Any], min_default: int, max_default: int) -> dict[str, Any]:
    """The digit options of NumberFormat and PluralRules, resolved as V8 resolves them."""
    resolved: dict[str, Any] = {
        "minimumIntegerDigits": integer(options, "minimumIntegerDigits", 1, 21, 1)
    }
    low_sig = integer(options, "minimumSignificantDigits", 1, 21, None)
    high_sig = integer(options, "maximumSignificantDigits", 1, 21, None)
    if low_sig is not None or high_sig is not None:
        low_sig = 1 if low_sig is None else low_sig
        high_sig = 21 if high_sig is None else high_sig
        if high_sig < low_sig:
            raise range_error("maximumSignificantDigits value is out of range.")
        resolved["minimumSignificantDigits"] = low_sig
        resolved["maximumSignificantDigits"] = high_sig
        return resolved
    low = integer(options, "minimumFractionDigits", 0, 100, None)
    high = integer(options, "maximumFractionDigits", 0, 100, None)
    if low is None and high is None:
        low, high = min_default, max_default
    elif low is None:
        low = min(min_default, high)
    elif high is None:
        high = max(max_default, low)
    elif low > high:
        raise range_error("maximumFractionDigits value is out of range.")
    resolved["minimumFractionDigits"] = low
    resolved["maximumFractionDigits"] = high
    return resolved


# -- numbers -----------------------------------------------------------------------------
def parse_number(text: Any) -> decimal.Decimal:
    """A JavaScript number as the script's String(x) wrote it ('-0', 'NaN', '1e+21')."""
    if not isinstance(text, str) or len(text) > 40:
        raise IntlError("TypeError", "Cannot convert the value to a number")
    try:
        return decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise IntlError("TypeError", "Cannot convert the value to a number") from None


# Intl rounds half away from zero ("halfExpand"); Decimal's default is half to even. The
# precision covers every digit a double can show, even padded to 100 fraction digits.
_CONTEXT = decimal.Context(prec=500, rounding=decimal.ROUND_HALF_UP, Emax=999999, Emin=-999999)


def round_digits(
    value: decimal.Decimal, digits: dict[str, Any]
) -> tuple[decimal.Decimal, int, int]:
    """``value`` rounded as the digit options say, with the least and most fraction digits to
    show."""
    if not value.is_finite() or value.is_zero():
        low = digits.get("minimumFractionDigits", 0)
        if "minimumSignificantDigits" in digits:
            low = digits["minimumSignificantDigits"] - 1
        return value, low, max(low, digits.get("maximumFractionDigits", low))
    if "maximumSignificantDigits" in digits:
        high_sig = digits["maximumSignificantDigits"]
        exponent = value.adjusted() - high_sig + 1
        rounded = value.quantize(decimal.Decimal(1).scaleb(exponent), context=_CONTEXT)
        top = rounded.adjusted()
        low = max(0, digits["minimumSignificantDigits"] - 1 - top)
        return rounded, low, max(low, -exponent, 0)
    high = digits["maximumFractionDigits"]
    rounded = value.quantize(decimal.Decimal(1).scaleb(-high), context=_CONTEXT)
    return rounded, digits["minimumFractionDigits"], high


def render(
    pattern: NumberPattern,
    locale: Locale,
    value: decimal.Decimal,
    digits: dict[str, Any],
    grouping: Any = "auto",
    currency: str | None = None,
) -> str:
    """``value`` through a Babel number pattern with the script's digit options."""
    if pattern.scale:
        value = value.scaleb(pattern.scale)
    rounded, low, high = round_digits(value, digits)
    shaped = copy.copy(pattern)
    shaped.scale = 0
    shaped.frac_prec = (low, high)
    shaped.int_prec = (digits.get("minimumIntegerDigits", 1), shaped.int_prec[1])
    if rounded.is_nan():
        text = shaped.prefix[0] + locale.number_symbols["latn"]["nan"] + shaped.suffix[0]
        if currency is not None:
            symbol = get_currency_symbol(currency, locale)
            text = text.replace("¤¤", currency).replace("¤", symbol)
        return text
    with decimal.localcontext(_CONTEXT):
        return shaped.apply(
            rounded,
            locale,
            currency=currency,
            currency_digits=False,
            group_separator=grouping is not False,
        )
