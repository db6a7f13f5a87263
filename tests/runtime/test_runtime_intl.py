"""Intl in the sandbox (js/intl.js, answered by runtime/intl.py with Babel): what a script's
Intl formats equals what the Babel library gives for the same locale, and the API behaves as
in V8 (the expected values written here were taken from Node 20; the tests do not need Node).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel.dates import (
    format_date,
    format_skeleton,
    format_time,
    format_timedelta,
    get_relative_name,
)
from babel.numbers import format_currency, format_decimal, format_percent

from flask_jsscripts.runtime import Limits

L = Limits(timeout=10.0)
LOCALES = ["en", "ru", "uz"]
MOMENT = datetime(2026, 1, 5, 15, 4, 5, tzinfo=UTC)
MS = int(MOMENT.timestamp() * 1000)


def value(rt, source, **kw):
    kw.setdefault("limits", L)
    r = rt.run(source, **kw)
    assert r.status == "completed", r.error
    return r.value


def js(obj) -> str:
    return json.dumps(obj)


# -- the same text as Babel ---------------------------------------------------------------------
NUMBERS = ["1234.5678", "-1234.5", "0", "0.256", "1000000", "-0.004"]


@pytest.mark.parametrize("locale", LOCALES)
def test_number_format_matches_babel(rt, locale):
    src = f"""
    var xs = {js([float(n) for n in NUMBERS])};
    var d = new Intl.NumberFormat({js(locale)}),
    p = new Intl.NumberFormat({js(locale)}, {{style: 'percent'}});
    var usd = new Intl.NumberFormat({js(locale)}, {{style: 'currency', currency: 'USD'}});
    var rub = new Intl.NumberFormat({js(locale)}, {{style: 'currency', currency: 'RUB'}});
    [xs.map(d.format), xs.map(p.format), xs.map(usd.format), xs.map(rub.format),
     xs.map(function (x) {{ return x.toLocaleString({js(locale)}); }})]
    """
    got = value(rt, src)
    numbers = [Decimal(n) for n in NUMBERS]
    decimal = [format_decimal(n, locale=locale) for n in numbers]
    assert got[0] == [d.replace("-0", "-0") for d in decimal]
    assert got[1] == [format_percent(n, locale=locale) for n in numbers]
    assert got[2] == [format_currency(n, "USD", locale=locale) for n in numbers]
    assert got[3] == [format_currency(n, "RUB", locale=locale) for n in numbers]
    assert got[4] == decimal


def test_number_format_options_and_rounding(rt):
    src = """
    function f(o, x) { return new Intl.NumberFormat('en', o).format(x); }
    [f({maximumFractionDigits: 2}, 1.005), f({maximumFractionDigits: 0}, 2.5),
     f({maximumFractionDigits: 0}, -2.5), f({minimumFractionDigits: 2}, 1234.5),
     f({minimumIntegerDigits: 3}, 7), f({useGrouping: false}, 1234567.891),
     f({maximumSignificantDigits: 2}, 123456), f({minimumSignificantDigits: 3}, 1.5),
     f({style: 'currency', currency: 'JPY'}, 1234.5), f({style: 'currency', currency: 'EUR',
       currencyDisplay: 'code'}, 5),
     f({style: 'currency', currency: 'EUR', currencyDisplay: 'name'}, 2),
     f({}, -0), f({}, NaN), f({}, Infinity), f({}, 1e21), f({}, 1.5e-7), f({}, '12.5')]
    """
    assert value(rt, src) == [
        "1.01",
        "3",
        "-3",
        "1,234.50",
        "007",
        "1234567.891",
        "120,000",
        "1.50",
        "¥1,235",
        "EUR\xa05.00",
        "2.00 euros",
        "-0",
        "NaN",
        "∞",
        "1,000,000,000,000,000,000,000",
        "0",
        "12.5",
    ]


def test_number_format_parts_and_resolved_options(rt):
    src = """
    var usd = new Intl.NumberFormat('en', {style: 'currency', currency: 'USD'});
    [usd.formatToParts(-1234.5), new Intl.NumberFormat('en', {style: 'currency', currency: 'EUR'})
      .resolvedOptions(), new Intl.NumberFormat('ru').resolvedOptions(), usd.format === usd.format,
     Object.prototype.toString.call(usd), Intl.NumberFormat('en') instanceof Intl.NumberFormat]
    """
    parts, eur, ru, same, tag, callable_ = value(rt, src)
    assert parts == [
        {"type": "minusSign", "value": "-"},
        {"type": "currency", "value": "$"},
        {"type": "integer", "value": "1"},
        {"type": "group", "value": ","},
        {"type": "integer", "value": "234"},
        {"type": "decimal", "value": "."},
        {"type": "fraction", "value": "50"},
    ]
    assert eur == {
        "locale": "en",
        "numberingSystem": "latn",
        "style": "currency",
        "currency": "EUR",
        "currencyDisplay": "symbol",
        "currencySign": "standard",
        "minimumIntegerDigits": 1,
        "minimumFractionDigits": 2,
        "maximumFractionDigits": 2,
        "useGrouping": "auto",
        "notation": "standard",
        "signDisplay": "auto",
        "roundingMode": "halfExpand",
        "roundingIncrement": 1,
        "trailingZeroDisplay": "auto",
        "roundingPriority": "auto",
    }
    assert list(ru)[:7] == [
        "locale",
        "numberingSystem",
        "style",
        "minimumIntegerDigits",
        "minimumFractionDigits",
        "maximumFractionDigits",
        "useGrouping",
    ]
    assert (ru["locale"], ru["maximumFractionDigits"]) == ("ru", 3)
    assert (same, tag, callable_) == (True, "[object Intl.NumberFormat]", True)


@pytest.mark.parametrize("locale", LOCALES)
def test_date_time_format_matches_babel(rt, locale):
    zone = "Asia/Tashkent"
    src = f"""
    var d = new Date({MS}), l = {js(locale)};
    function f(o) {{ return new Intl.DateTimeFormat(l, o).format(d); }}
    [f({{timeZone: 'UTC'}}), f({{dateStyle: 'full', timeZone: 'UTC'}}),
     f({{dateStyle: 'long', timeZone: 'UTC'}}), f({{dateStyle: 'medium', timeZone: 'UTC'}}),
     f({{dateStyle: 'short', timeZone: 'UTC'}}), f({{timeStyle: 'medium', timeZone: 'UTC'}}),
     f({{timeStyle: 'short', timeZone: {js(zone)}}}),
     f({{month: 'long', day: 'numeric', timeZone: 'UTC'}}),
     d.toLocaleDateString(l), d.toLocaleTimeString(l, {{timeZone: {js(zone)}}}), f()]
    """
    got = value(rt, src)
    tashkent = MOMENT.astimezone(ZoneInfo(zone))
    expected = [
        format_skeleton("yMd", MOMENT, locale=locale),
        *(
            format_date(MOMENT, style, locale=locale)
            for style in ("full", "long", "medium", "short")
        ),
        format_time(MOMENT, "medium", tzinfo=UTC, locale=locale),
        format_time(tashkent, "short", tzinfo=ZoneInfo(zone), locale=locale),
        format_skeleton("MMMMd", MOMENT, locale=locale),
        format_skeleton("yMd", MOMENT, locale=locale),
        format_skeleton("Hms" if locale != "en" else "hms", tashkent, locale=locale),
        format_skeleton("yMd", MOMENT, locale=locale),  # the default zone is UTC
    ]
    assert got == expected


def test_date_time_format_like_v8(rt):
    src = f"""
    var d = new Date({MS}), z = {{timeZone: 'UTC'}};
    function f(l, o) {{ return new Intl.DateTimeFormat(l, Object.assign({{}}, z, o)).format(d); }}
    [f('en', {{month: '2-digit', day: '2-digit', year: '2-digit'}}), f('en', {{weekday: 'long'}}),
     f('en', {{hour: 'numeric', timeZoneName: 'short', timeZone: 'Europe/Moscow'}}),
     f('en', {{timeZoneName: 'long', timeZone: 'America/New_York'}}),
     f('en', {{hour: 'numeric', minute: 'numeric', hour12: false}}),
     f('ru', {{month: 'long', day: 'numeric'}}),
     new Date(0).toLocaleString('en', z), new Date(0).toLocaleDateString('en', z),
     new Date(0).toLocaleString('ru', z), new Date(0).toLocaleString('uz', z),
     new Date(NaN).toLocaleString(), new Date(0).toLocaleString()]
    """
    assert value(rt, src) == [
        "01/05/26",
        "Monday",
        "6 PM GMT+3",
        "1/5/2026, Eastern Standard Time",
        "15:04",
        "5 января",
        "1/1/1970, 12:00:00 AM",
        "1/1/1970",
        "01.01.1970, 00:00:00",
        "01/01/1970, 00:00:00",
        "Invalid Date",
        "1/1/1970, 12:00:00 AM",
    ]


def test_date_time_format_parts_and_resolved_options(rt):
    src = """
    var f = new Intl.DateTimeFormat('en', {timeZone: 'utc'});
    var t = new Intl.DateTimeFormat('en', {timeZone: 'europe/moscow',
      hour: 'numeric', minute: 'numeric'});
    [f.formatToParts(0), f.resolvedOptions(), t.resolvedOptions(), t.formatToParts(0),
     new Intl.DateTimeFormat('en', {dateStyle: 'medium', timeStyle: 'short'}).resolvedOptions()]
    """
    parts, resolved, timed, time_parts, styles = value(rt, src)
    assert parts == [
        {"type": "month", "value": "1"},
        {"type": "literal", "value": "/"},
        {"type": "day", "value": "1"},
        {"type": "literal", "value": "/"},
        {"type": "year", "value": "1970"},
    ]
    assert resolved == {
        "locale": "en",
        "calendar": "gregory",
        "numberingSystem": "latn",
        "timeZone": "UTC",
        "year": "numeric",
        "month": "numeric",
        "day": "numeric",
    }
    assert timed["timeZone"] == "Europe/Moscow"
    assert (timed["hourCycle"], timed["hour12"], timed["hour"]) == ("h12", True, "numeric")
    assert [p["type"] for p in time_parts] == ["hour", "literal", "minute", "literal", "dayPeriod"]
    assert "".join(p["value"] for p in time_parts[:3]) == "3:00"
    assert styles == {
        "locale": "en",
        "calendar": "gregory",
        "numberingSystem": "latn",
        "timeZone": "UTC",
        "hourCycle": "h12",
        "hour12": True,
        "dateStyle": "medium",
        "timeStyle": "short",
    }


@pytest.mark.parametrize("locale", LOCALES)
def test_plural_rules_match_babel(rt, locale):
    src = f"""
    var c = new Intl.PluralRules({js(locale)}),
    o = new Intl.PluralRules({js(locale)}, {{type: 'ordinal'}});
    var ns = []; for (var i = 0; i < 125; i++) ns.push(i);
    [ns.map(function (n) {{ return c.select(n); }}), ns.map(function (n) {{ return o.select(n); }}),
     [1.5, 0.1, 2.25].map(function (n) {{ return c.select(n); }}), c.resolvedOptions()]
    """
    cardinal, ordinal, fractions, resolved = value(rt, src)
    rules = Locale.parse(locale)
    assert cardinal == [rules.plural_form(n) for n in range(125)]
    assert ordinal == [rules.ordinal_form(n) for n in range(125)]
    assert fractions == [rules.plural_form(Decimal(n)) for n in ("1.5", "0.1", "2.25")]
    assert resolved["pluralCategories"] == sorted(rules.plural_form.tags) + ["other"]


def test_plural_rules_like_v8(rt):
    src = """
    [new Intl.PluralRules('ru').resolvedOptions(), new Intl.PluralRules('en', {type: 'ordinal'})
      .resolvedOptions().pluralCategories, new Intl.PluralRules('en').select(1),
     new Intl.PluralRules('en', {minimumFractionDigits: 1}).select(1), [1, 2, 3, 4, 11, 22]
      .map(function (n) { return new Intl.PluralRules('en', {type: 'ordinal'}).select(n); })]
    """
    assert value(rt, src) == [
        {
            "locale": "ru",
            "type": "cardinal",
            "minimumIntegerDigits": 1,
            "minimumFractionDigits": 0,
            "maximumFractionDigits": 3,
            "pluralCategories": ["few", "many", "one", "other"],
        },
        ["few", "one", "two", "other"],
        "one",
        "other",
        ["one", "two", "few", "other", "other", "two"],
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_relative_time_format_matches_babel(rt, locale):
    src = f"""
    var r = new Intl.RelativeTimeFormat({js(locale)}),
    a = new Intl.RelativeTimeFormat({js(locale)}, {{numeric: 'auto'}});
    [r.format(3, 'day'), r.format(-3, 'days'), r.format(-1, 'hour'), r.format(5, 'minutes'),
     r.format(2, 'year'), r.format(21, 'second'),
     a.format(-1, 'day'), a.format(1, 'day'), a.format(0, 'day')]
    """
    got = value(rt, src)

    def ago(seconds, unit):
        return format_timedelta(
            timedelta(seconds=seconds),
            granularity=unit,
            threshold=1000,
            add_direction=True,
            locale=locale,
        )

    assert got[:6] == [
        ago(3 * 86400, "day"),
        ago(-3 * 86400, "day"),
        ago(-3600, "hour"),
        ago(300, "minute"),
        ago(2 * 365 * 86400, "year"),
        ago(21, "second"),
    ]
    assert got[6:] == [get_relative_name("day", n, locale=locale) for n in (-1, 1, 0)]


def test_relative_time_format_like_v8(rt):
    src = """
    var r = new Intl.RelativeTimeFormat('en'),
    a = new Intl.RelativeTimeFormat('en', {numeric: 'auto'});
    [r.format(-1, 'day'), a.format(-1, 'day'), a.format(0, 'day'), r.format(-0, 'day'),
     r.format(0, 'day'), r.format(1000.5, 'year'), a.format(1, 'quarter'),
     new Intl.RelativeTimeFormat('en', {style: 'narrow'}).format(-2, 'month'),
     new Intl.RelativeTimeFormat('ru').format(3, 'days'),
     new Intl.RelativeTimeFormat('ru', {style: 'short'}).format(-5, 'minute'),
     r.resolvedOptions(), r.formatToParts(100, 'day')]
    """
    assert value(rt, src) == [
        "1 day ago",
        "yesterday",
        "today",
        "0 days ago",
        "in 0 days",
        "in 1,000.5 years",
        "next quarter",
        "2mo ago",
        "через 3 дня",
        "5 мин. назад",
        {"locale": "en", "style": "long", "numeric": "always", "numberingSystem": "latn"},
        [
            {"type": "literal", "value": "in "},
            {"type": "integer", "value": "100", "unit": "day"},
            {"type": "literal", "value": " days"},
        ],
    ]


def test_collator_like_v8(rt):
    src = """
    var words = ['b', 'a', 'B', 'A', '\\u00e4', '\\u00e9', 'e', 'z', '10', '9', 'ё', 'е', 'ж'];
    function c(o, x, y) { return new Intl.Collator('en', o).compare(x, y); }
    [words.slice().sort(new Intl.Collator('en').compare).join('|'),
     ['10', '9', '2', 'b', 'a'].sort(new Intl.Collator('en', {numeric: true}).compare).join('|'),
     c({sensitivity: 'base'}, 'a', '\\u00c1'), c({sensitivity: 'accent'}, 'a', 'A'),
     c({sensitivity: 'accent'}, 'a', '\\u00e1'), c({sensitivity: 'case'}, 'a', '\\u00e1'),
     c({}, 'a', 'A'),
     'a'.localeCompare('B'), '\\u00e4'.localeCompare('a', 'de', {sensitivity: 'base'}),
     'e\\u0301'.localeCompare('\\u00e9'), new Intl.Collator('ru').resolvedOptions(),
     ['\\ud83d\\ude00', 'a', '\\ud800'].sort(new Intl.Collator().compare).length]
    """
    assert value(rt, src) == [
        "10|9|a|A|ä|b|B|e|é|z|е|ё|ж",
        "2|9|10|a|b",
        0,
        0,
        -1,
        0,
        -1,
        -1,
        0,
        0,
        {
            "locale": "ru",
            "usage": "sort",
            "sensitivity": "variant",
            "ignorePunctuation": False,
            "collation": "default",
            "numeric": False,
            "caseFirst": "false",
        },
        3,
    ]


def test_locales_canonical_supported_and_fallback(rt):
    src = """
    [Intl.getCanonicalLocales(['EN-us', 'ru', 'uz-latn-uz', 'ru']),
     Intl.NumberFormat.supportedLocalesOf(['en', 'xx', 'ru', 'uz']),
     new Intl.NumberFormat('ru-XX').resolvedOptions().locale,
     new Intl.NumberFormat(['xx', 'uz']).resolvedOptions().locale,
     new Intl.NumberFormat('xx').resolvedOptions().locale,
     new Intl.NumberFormat().resolvedOptions().locale,
     new Intl.DateTimeFormat().resolvedOptions().timeZone,
     Object.getOwnPropertyNames(Intl).sort(), Object.prototype.toString.call(Intl)]
    """
    assert value(rt, src) == [
        ["en-US", "ru", "uz-Latn-UZ"],
        ["en", "ru", "uz"],
        "ru",
        "uz",
        "en",
        "en",
        "UTC",
        [
            "Collator",
            "DateTimeFormat",
            "NumberFormat",
            "PluralRules",
            "RelativeTimeFormat",
            "getCanonicalLocales",
        ],
        "[object Intl]",
    ]


def test_a_run_may_carry_the_hosts_locale_and_time_zone(rt):
    src = f"""
    [(1234.5).toLocaleString(), new Date({MS}).toLocaleString(),
     new Intl.DateTimeFormat().resolvedOptions().timeZone,
     new Intl.NumberFormat().resolvedOptions().locale]
    """
    carried = value(rt, src, locale="ru", time_zone="asia/tashkent")
    assert carried == ["1\xa0234,5", "05.01.2026, 20:04:05", "Asia/Tashkent", "ru"]
    # the next runs, on whichever worker, start from the plain defaults again
    for _ in range(3):
        assert value(rt, src) == ["1,234.5", "1/5/2026, 3:04:05 PM", "UTC", "en"]
    with pytest.raises(ValueError, match="Incorrect locale"):
        rt.run(src, locale="en_US")
    with pytest.raises(ValueError, match="Invalid time zone"):
        rt.run(src, time_zone="../../etc/passwd")


# Expressions and the value Node 20 gave for each (TZ=UTC), which this runtime must give too
LIKE_NODE = [
    (case["expr"], case["node20"])
    for case in json.loads((Path(__file__).parent / "intl_like_node.json").read_text("utf-8"))
]


def test_common_calls_give_what_node_gives(rt):
    lines = "".join(
        f"try {{ out.push({expr}); }} catch (e) {{ out.push(e.name + ': ' + e.message); }}\n"
        for expr, _ in LIKE_NODE
    )
    got = value(rt, "function main() { var out = [];\n" + lines + "return out; }")
    assert dict(zip([e for e, _ in LIKE_NODE], got, strict=True)) == dict(LIKE_NODE)
