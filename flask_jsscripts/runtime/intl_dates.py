"""``Intl.DateTimeFormat`` backed by Babel: options resolved as V8 resolves them, a CLDR pattern
chosen for them, and the pattern's fields formatted one by one (so ``format`` and
``formatToParts`` agree). Time zones come from ``zoneinfo`` (IANA names); the default is UTC.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from babel.dates import (
    DateTimeFormat,
    get_timezone_name,
    match_skeleton,
    tokenize_pattern,
    untokenize_pattern,
)

from .intl_core import IntlError, babel_locale, choice, flag, integer, range_error

DEFAULT_TIME_ZONE = "UTC"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_KIND = "DateTimeFormat"
_TEXT = ("narrow", "short", "long")
_NUMERIC = ("2-digit", "numeric")
_STYLES = ("full", "long", "medium", "short")
_ZONE_STYLES = ("short", "long", "shortOffset", "longOffset", "shortGeneric", "longGeneric")
# (option, allowed values) in the order resolvedOptions lists them
_COMPONENTS = (
    ("weekday", _TEXT),
    ("era", _TEXT),
    ("year", _NUMERIC),
    ("month", (*_NUMERIC, *_TEXT)),
    ("day", _NUMERIC),
    ("dayPeriod", _TEXT),
    ("hour", _NUMERIC),
    ("minute", _NUMERIC),
    ("second", _NUMERIC),
    ("fractionalSecondDigits", None),
    ("timeZoneName", _ZONE_STYLES),
)
_DATE_FIELDS = ("weekday", "year", "month", "day")
_TIME_FIELDS = ("dayPeriod", "hour", "minute", "second", "fractionalSecondDigits")
_UTC_NAMES = {"utc", "etc/utc", "gmt", "etc/gmt", "uct", "etc/uct", "zulu", "etc/zulu",
              "universal", "etc/universal", "greenwich", "etc/greenwich", "gmt0", "etc/gmt0",
              "gmt+0", "etc/gmt+0", "gmt-0", "etc/gmt-0"}  # fmt: skip
_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*$")


@functools.lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def canonical_zone(name: Any) -> str:
    """The IANA name of a time zone, matched without regard to case; RangeError like V8."""
    text = str(name)
    if not isinstance(name, str) or len(text) > 64 or not _ZONE_NAME.match(text):
        raise range_error(f"Invalid time zone specified: {text[:64]}")
    if text.lower() in _UTC_NAMES:
        return "UTC"
    try:
        zoneinfo.ZoneInfo(text)
        return text
    except Exception:  # noqa: BLE001 - not found, not a normalised key, unreadable file
        pass
    found = _zone_names().get(text.lower())
    if found is None:
        raise range_error(f"Invalid time zone specified: {text}")
    return found


def _zone(name: str) -> tzinfo:
    return UTC if name == "UTC" else zoneinfo.ZoneInfo(name)


def _hour_cycle(locale: str, options: dict[str, Any]) -> str:
    hour12 = flag(options, "hour12")
    cycle = choice(options, "hourCycle", ("h11", "h12", "h23", "h24"), _KIND)
    if hour12 is not None:
        return "h12" if hour12 else "h23"
    if cycle is not None:
        return cycle
    pattern = babel_locale(locale).time_formats["short"].pattern
    letters = [c for c in "hHKk" if c in pattern]
    return {"h": "h12", "H": "h23", "K": "h11", "k": "h24"}[letters[0] if letters else "H"]


def _components(options: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, allowed in _COMPONENTS:
        if allowed is None:
            value = integer(options, name, 1, 3, None)
        else:
            value = choice(options, name, allowed, _KIND)
        if value is not None:
            found[name] = value
    return found


def resolve(
    locale: str, options: dict[str, Any], default_zone: str, required: Any, defaults: Any
) -> dict[str, Any]:
    """resolvedOptions for ``options``; ``required``/``defaults`` say what the caller shows when
    nothing is asked for ("date"/"time"/"any" and "date"/"time"/"all"/"none")."""
    choice(options, "localeMatcher", ("lookup", "best fit"), _KIND)
    choice(options, "formatMatcher", ("basic", "best fit"), _KIND)
    zone = options.get("timeZone")
    zone = default_zone if zone is None else canonical_zone(zone)
    cycle = _hour_cycle(locale, options)
    parts = _components(options)
    styles = {k: choice(options, k, _STYLES, _KIND) for k in ("dateStyle", "timeStyle")}
    styles = {k: v for k, v in styles.items() if v is not None}
    if styles:
        if parts:
            used = "dateStyle" if "dateStyle" in styles else "timeStyle"
            raise IntlError(
                "TypeError", f"Can't set option {next(iter(parts))} when {used} is used"
            )
        if required == "date" and "dateStyle" not in styles:
            raise IntlError("TypeError", "Invalid option : timeStyle")
        if required == "time" and "timeStyle" not in styles:
            raise IntlError("TypeError", "Invalid option : dateStyle")
    else:
        wanted = (
            _DATE_FIELDS if required == "date" else _TIME_FIELDS if required == "time" else None
        )
        asked = [k for k in parts if k in (wanted or _DATE_FIELDS + _TIME_FIELDS)]
        if not asked:
            if defaults in ("date", "all"):
                parts.update(year="numeric", month="numeric", day="numeric")
            if defaults in ("time", "all"):
                parts.update(hour="numeric", minute="numeric", second="numeric")
    resolved: dict[str, Any] = {
        "locale": locale,
        "calendar": "gregory",
        "numberingSystem": "latn",
        "timeZone": zone,
    }
    if "hour" in parts or "timeStyle" in styles:
        resolved.update(hourCycle=cycle, hour12=cycle in ("h11", "h12"))
    for name, _ in _COMPONENTS:
        if name in parts:
            resolved[name] = parts[name]
    resolved.update(styles)
    return resolved


# -- patterns ---------------------------------------------------------------------------------
_HOUR_LETTER = {"h11": "K", "h12": "h", "h23": "H", "h24": "k"}
_TEXT_WIDTH = {"narrow": 5, "short": 3, "long": 4}
_ZONE_FIELD = {
    "short": ("z", 1),
    "long": ("z", 4),
    "shortOffset": ("O", 1),
    "longOffset": ("O", 4),
    "shortGeneric": ("v", 1),
    "longGeneric": ("v", 4),
}
_PART_TYPES = {
    **dict.fromkeys("G", "era"),
    **dict.fromkeys("yYur", "year"),
    **dict.fromkeys("ML", "month"),
    **dict.fromkeys("d", "day"),
    **dict.fromkeys("Eec", "weekday"),
    **dict.fromkeys("abB", "dayPeriod"),
    **dict.fromkeys("hHKk", "hour"),
    **dict.fromkeys("m", "minute"),
    **dict.fromkeys("s", "second"),
    **dict.fromkeys("S", "fractionalSecond"),
    **dict.fromkeys("zZOvVXx", "timeZoneName"),
}


def _skeletons(resolved: dict[str, Any]) -> tuple[str, str]:
    """The date and the time skeleton of the resolved components."""
    date = ""
    if "era" in resolved:
        date += "G" * _TEXT_WIDTH[resolved["era"]]
    if "year" in resolved:
        date += "yy" if resolved["year"] == "2-digit" else "y"
    month = resolved.get("month")
    if month is not None:
        date += "M" * (_TEXT_WIDTH.get(month) or (2 if month == "2-digit" else 1))
    if "weekday" in resolved:
        date += "E" * _TEXT_WIDTH[resolved["weekday"]]
    if "day" in resolved:
        date += "dd" if resolved["day"] == "2-digit" else "d"
    time = ""
    if "hour" in resolved:
        time += "h" if resolved["hourCycle"] in ("h11", "h12") else "H"
    for name, letter in (("minute", "m"), ("second", "s")):
        if name in resolved:
            time += letter
    return date, time


def _best(skeleton: str, locale: Any) -> str:
    """The locale's pattern closest to ``skeleton``. As ICU does, an inexact match takes the
    requested widths of numeric fields, and a requested field the match lacks is appended
    (shown, if not where a native speaker would put it, rather than dropped)."""
    available = locale.datetime_skeletons
    found = match_skeleton(skeleton, available) or match_skeleton(skeleton, available, True)
    if found is None:
        return skeleton
    pattern = getattr(available[found], "pattern", available[found])
    if found == skeleton:
        return pattern
    wanted = {char: width for kind, (char, width) in _fields(skeleton) if kind == "field"}
    tokens = tokenize_pattern(pattern)
    present = set()
    for i, (kind, value) in enumerate(tokens):
        if kind != "field":
            continue
        char, width = value
        part = _PART_TYPES.get(char)
        present.add(part)
        asked = next((w for c, w in wanted.items() if _PART_TYPES.get(c) == part), None)
        if asked == 2 and char in "yMLdhHKk" and (width <= 2 or char not in "ML"):
            tokens[i] = (kind, (char, asked))
    for char, width in wanted.items():
        if _PART_TYPES.get(char) not in present:
            tokens += [("chars", " "), ("field", (char, width))]
    return untokenize_pattern(tokens)


def _fields(skeleton: str) -> list[tuple[str, Any]]:
    return [(kind, value) for kind, value in tokenize_pattern(skeleton) if kind == "field"]


def _shape(pattern: str, resolved: dict[str, Any]) -> list[tuple[str, Any]]:
    """The pattern's tokens with the widths, hour letter and zone field the options ask for."""
    cycle = resolved.get("hourCycle", "h23")
    twelve = cycle in ("h11", "h12")
    wanted = {
        "G": _TEXT_WIDTH.get(resolved.get("era", ""), 0),
        "E": _TEXT_WIDTH.get(resolved.get("weekday", ""), 0),
        "M": _TEXT_WIDTH.get(resolved.get("month", ""), 0),
    }
    tokens: list[tuple[str, Any]] = []
    has_period = False
    for kind, value in tokenize_pattern(pattern):
        if kind == "field":
            char, width = value
            if char in "GEcML" and wanted.get("M" if char == "L" else "E" if char == "c" else char):
                width = wanted["M" if char == "L" else "E" if char == "c" else char]
            elif char in "yMLdhHKk" and resolved.get(_PART_TYPES[char]) == "2-digit":
                width = 2
            elif char == "y" and "year" in resolved:
                width = 1
            if char in "hHKk":
                char = _HOUR_LETTER[cycle]
            if char in "zZOvVXx" and "timeZoneName" in resolved:
                char, width = _ZONE_FIELD[resolved["timeZoneName"]]
            if char in "abB":
                if not twelve:
                    continue
                has_period = True
            value = (char, width)
        tokens.append((kind, value))
    if twelve and not has_period and any(k == "field" and v[0] in "hK" for k, v in tokens):
        tokens += [("chars", " "), ("field", ("a", 1))]
    return _tidy(tokens)


def _tidy(tokens: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Drop the space a removed day period leaves at either end."""
    while tokens and tokens[-1][0] == "chars" and not tokens[-1][1].strip():
        tokens.pop()
    while tokens and tokens[0][0] == "chars" and not tokens[0][1].strip():
        tokens.pop(0)
    return tokens


def _glue(locale: Any, style: str, date: str, time: str) -> str:
    glue = (locale.datetime_formats_relative or {}).get(style) or locale.datetime_formats[style]
    return str(glue).replace("{1}", date).replace("{0}", time)


def _pattern(resolved: dict[str, Any], locale: Any) -> list[tuple[str, Any]]:
    date_style, time_style = resolved.get("dateStyle"), resolved.get("timeStyle")
    if date_style or time_style:
        date = locale.date_formats[date_style].pattern if date_style else ""
        time = locale.time_formats[time_style].pattern if time_style else ""
        style = date_style or "short"
    else:
        date_skeleton, time_skeleton = _skeletons(resolved)
        date = _best(date_skeleton, locale) if date_skeleton else ""
        time = _best(time_skeleton, locale) if time_skeleton else ""
        if "timeZoneName" in resolved and time_skeleton:
            if not any(c in time for c in "zZOvVXx"):
                time += " z"
        elif "timeZoneName" in resolved:
            time = "z"
        if "fractionalSecondDigits" in resolved and "s" in time:
            decimal = locale.number_symbols["latn"]["decimal"]
            time = time.replace(
                "ss", "ss'" + decimal + "'" + "S" * resolved["fractionalSecondDigits"], 1
            )
        long_month = "MMMM" in date_skeleton
        style = (
            ("full" if "EEEE" in date_skeleton else "long")
            if long_month
            else "medium"
            if "MMM" in date_skeleton
            else "short"
        )
    if date and time:
        return _shape(_glue(locale, style, date, time), resolved)
    return _shape(date or time, resolved)


class DateFormatter:
    def __init__(self, resolved: dict[str, Any]):
        self.resolved = resolved
        self.locale = babel_locale(resolved["locale"])
        self.zone = _zone(resolved["timeZone"])
        self.tokens = _pattern(resolved, self.locale)

    def _instant(self, value: Any) -> datetime:
        if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > 8.64e15:
            raise range_error("Invalid time value")
        try:
            return (_EPOCH + timedelta(milliseconds=int(value))).astimezone(self.zone)
        except (OverflowError, ValueError):
            raise range_error(
                "Date value out of the range this host formats (years 1 to 9999)"
            ) from None

    def parts(self, value: Any) -> list[dict[str, str]]:
        moment = self._instant(value)
        fields = DateTimeFormat(moment, self.locale)
        parts: list[dict[str, str]] = []
        for kind, token in self.tokens:
            if kind == "chars":
                text, part = token, "literal"
            else:
                char, width = token
                part = _PART_TYPES.get(char, "literal")
                if part == "timeZoneName":
                    text = self._zone_text(moment, char, width)
                else:
                    text = fields[char * width]
            if part == "literal" and parts and parts[-1]["type"] == "literal":
                parts[-1]["value"] += text
            elif text:
                parts.append({"type": part, "value": text})
        return parts

    def text(self, value: Any) -> str:
        return "".join(part["value"] for part in self.parts(value))

    def _zone_text(self, moment: datetime, char: str, width: int) -> str:
        if char == "z" and self.resolved["timeZone"] == "UTC":
            return "UTC" if width < 4 else get_timezone_name(moment, "long", locale=self.locale)
        if char == "z":
            size = "long" if width >= 4 else "short"
            name = get_timezone_name(moment, size, locale=self.locale)
            if name and name[0] not in "+-":
                return name
            width = 1
        if char == "v":
            return DateTimeFormat(moment, self.locale)["v" * width]
        return _gmt_offset(moment, self.locale, long=width >= 4)


def _gmt_offset(moment: datetime, locale: Any, long: bool) -> str:
    """ "GMT+3", "GMT+05:30" (long), "GMT" for no offset, in the locale's GMT format."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return locale.zone_formats["gmt"] % ""
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    text = (
        f"{sign}{hours:02d}:{rest:02d}"
        if long
        else f"{sign}{hours}" + (f":{rest:02d}" if rest else "")
    )
    return locale.zone_formats["gmt"] % text
