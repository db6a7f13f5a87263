"""The extension's own catalogues (domain ``flask_jsscripts``, folder ``translations/``).

* the template (.pot) lists exactly the messages marked in the sources;
* every locale's .po holds those messages; ru and uz translate all of them (every plural form),
  with no fuzzy entry and the right plural rule;
* every translation keeps the placeholders of its message;
* every committed .mo says what its .po says;
* the pages come out in Russian or Uzbek when the host picks that locale, English without
  Flask-Babel.

The commands that fix a failure here are in ``translations/README.md``.
"""

from __future__ import annotations

import gettext
import io
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from data_fixtures import app_factory  # noqa: F401 - fixture
from flask import request
from web_fixtures import make_web

from flask_jsscripts import i18n

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "translations"
POT = FOLDER / f"{i18n.DOMAIN}.pot"
LOCALES = ("en", "ru", "uz")
TRANSLATED = ("ru", "uz")
UPDATE_HINT = "update the catalogues: see translations/README.md"

# The gettext rules (as written in the catalogue headers) and what they must compute.
PLURAL_FORMS = {
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);",
    "uz": "nplurals=2; plural=(n != 1);",
}


def _ru_plural(n: int) -> int:
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


PLURAL_REFERENCE = {"ru": _ru_plural, "uz": lambda n: int(n != 1)}

PERCENT = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa])")
BRACES = re.compile(r"\{(\w*)\}")
ENTITY = re.compile(r"&#?\w+;")


def po_path(locale: str) -> Path:
    return FOLDER / locale / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def mo_path(locale: str) -> Path:
    return FOLDER / locale / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo"


def load_po(path: Path, locale: str | None = None) -> Catalog:
    with open(path, "rb") as fh:
        return read_po(fh, locale=locale, domain=i18n.DOMAIN)


def ids(catalog: Catalog) -> set:
    return {message.id for message in catalog if message.id}


def label(msgid) -> str:
    return msgid if isinstance(msgid, str) else " | ".join(msgid)


@pytest.fixture(scope="module")
def pot() -> Catalog:
    assert POT.is_file(), f"{POT} is missing: {UPDATE_HINT}"
    return load_po(POT)


@pytest.fixture(scope="module", params=LOCALES)
def catalogue(request) -> tuple[str, Catalog]:
    path = po_path(request.param)
    assert path.is_file(), f"{path} is missing: {UPDATE_HINT}"
    return request.param, load_po(path, request.param)


# --- (a) the template matches the sources -----------------------------------------------------


def extract_sources() -> Catalog:
    """What ``pybabel extract -F babel.cfg -k lazy_gettext -k _l .`` finds, in memory."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}
    catalog = Catalog(domain=i18n.DOMAIN)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def test_template_lists_exactly_the_marked_strings(pot):
    extracted = extract_sources()
    assert len(ids(extracted)) > 100, "extraction found (almost) nothing: babel.cfg broken?"
    new = sorted(map(label, ids(extracted) - ids(pot)))
    gone = sorted(map(label, ids(pot) - ids(extracted)))
    assert not new and not gone, (
        f"the .pot is out of date ({UPDATE_HINT}); marked in the sources but not in the .pot: "
        f"{new}; in the .pot but no longer in the sources: {gone}"
    )
    # the sources' locations are in the template (they help translators)
    assert all(message.locations for message in pot if message.id)


def test_every_catalogue_holds_the_templates_messages(pot, catalogue):
    locale, catalog = catalogue
    missing = sorted(map(label, ids(pot) - ids(catalog)))
    extra = sorted(map(label, ids(catalog) - ids(pot)))
    assert not missing and not extra, (
        f"{locale}: run pybabel update ({UPDATE_HINT}); missing {missing}, stale {extra}"
    )
    assert str(catalog.locale) == locale
    fuzzy = [label(m.id) for m in catalog if m.id and m.fuzzy]
    assert not fuzzy and not catalog.fuzzy, f"{locale}: fuzzy entries {fuzzy}"


# --- (b) ru and uz are complete, with the right plural rule -----------------------------------


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_is_translated(pot, locale):
    catalog = load_po(po_path(locale), locale)
    nplurals = int(PLURAL_FORMS[locale].split(";")[0].split("=")[1])
    untranslated = []
    for msgid in sorted(ids(pot), key=label):
        message = catalog.get(msgid)
        assert message is not None, f"{locale}: {label(msgid)!r} missing ({UPDATE_HINT})"
        if message.pluralizable:
            forms = message.string
            if len(forms) != nplurals or not all(form.strip() for form in forms):
                untranslated.append(label(msgid))
        elif not (isinstance(message.string, str) and message.string.strip()):
            untranslated.append(label(msgid))
    assert not untranslated, f"{locale}: untranslated {untranslated}"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_plural_header(locale):
    catalog = load_po(po_path(locale), locale)
    expected = PLURAL_FORMS[locale]
    header = dict(catalog.mime_headers)["Plural-Forms"]
    assert header.replace(" ", "") == expected.replace(" ", "")
    assert catalog.num_plurals == int(expected.split(";")[0].split("=")[1])
    rule = gettext.c2py(header.split("plural=", 1)[1].rstrip(";"))
    reference = PLURAL_REFERENCE[locale]
    assert [rule(n) for n in range(300)] == [reference(n) for n in range(300)]


# --- (c) placeholders ---------------------------------------------------------------------------


def placeholders(text: str) -> tuple[Counter, set, set]:
    return Counter(PERCENT.findall(text)), set(BRACES.findall(text)), set(ENTITY.findall(text))


def test_translations_keep_the_placeholders(catalogue):
    locale, catalog = catalogue
    problems = []
    for message in catalog:
        if not message.id:
            continue
        if message.pluralizable:
            wanted = placeholders(message.id[1])
            singular = placeholders(message.id[0])
            pairs = [(i, form) for i, form in enumerate(message.string) if form]
        else:
            wanted = singular = placeholders(message.id)
            pairs = [(0, message.string)] if message.string else []
        for index, text in pairs:
            got = placeholders(text)
            if got != wanted and got != singular:
                problems.append((label(message.id), index, text))
                continue
            names = {name: 1 for name, _conv in got[0]}
            if got[0]:  # what i18n.gettext does: it must not raise
                try:
                    text % names
                except (KeyError, ValueError, TypeError) as exc:
                    problems.append((label(message.id), index, f"{text!r}: {exc}"))
    assert not problems, f"{locale}: placeholders differ from the msgid: {problems}"


# --- (d) the compiled catalogues are up to date ----------------------------------------------


def messages_of(catalog: Catalog) -> dict:
    """Translated messages as {msgid: msgstr}, plural ids and forms as tuples."""

    def norm(value):
        return value if isinstance(value, str) else tuple(value)

    return {
        norm(m.id): norm(m.string)
        for m in catalog
        if m.id and any([m.string] if isinstance(m.string, str) else m.string)
    }


@pytest.mark.parametrize("locale", LOCALES)
def test_mo_matches_po(locale):
    path = mo_path(locale)
    assert path.is_file(), f"{path} is missing: run pybabel compile ({UPDATE_HINT})"
    po = load_po(po_path(locale), locale)
    fresh = io.BytesIO()
    write_mo(fresh, po)
    fresh.seek(0)
    compiled = read_mo(fresh)
    with open(path, "rb") as fh:
        committed = read_mo(fh)
    assert messages_of(committed) == messages_of(compiled), (
        f"{path} is stale: run pybabel compile ({UPDATE_HINT})"
    )
    assert committed.plural_forms == compiled.plural_forms, f"{path}: stale Plural-Forms header"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_mo_loads_with_gettext(locale):
    with open(mo_path(locale), "rb") as fh:
        translations = gettext.GNUTranslations(fh)
    assert translations.gettext("Scripts") != "Scripts"
    forms = load_po(po_path(locale), locale).get(("%(num)d script", "%(num)d scripts")).string
    for n in range(30):
        expected = forms[PLURAL_REFERENCE[locale](n)]
        assert translations.ngettext("%(num)d script", "%(num)d scripts", n) == expected


# --- (e) the pages in Russian, Uzbek and English -----------------------------------------------


@pytest.fixture
def database_url(tmp_path):
    """SQLite only: the catalogues do not depend on the backend."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def fresh_domain():
    """Our real catalogues (undo whatever an earlier test cached or patched)."""
    i18n.domain.cache_clear()
    yield
    i18n.domain.cache_clear()


def body(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_pages_in_russian_and_uzbek_with_host_babel(app_factory, rt, fresh_domain):  # noqa: F811
    from flask_babel import Babel

    web = make_web(app_factory, rt)
    Babel(web.app, locale_selector=lambda: request.headers.get("X-Locale", "en"))
    expected = {
        "ru": [
            'lang="ru"',
            "<h1>Скрипты</h1>",
            "Новый скрипт",
            "1 скрипт<",
            "Поиск",
            "Все типы",
            "Активен",
            "Отключить",
            "Удалить",
            "выполнено",
        ],
        "uz": [
            'lang="uz"',
            "<h1>Skriptlar</h1>",
            "Yangi skript",
            "1 ta skript",
            "Qidirish",
            "Barcha turlar",
            "Faol",
            "Oʻchirib qoʻyish",
            "Oʻchirish",
            "bajarildi",
        ],
        "en": [
            'lang="en"',
            "<h1>Scripts</h1>",
            "New script",
            "1 script<",
            "Search",
            "All types",
            "Active",
            "Disable",
            "Delete",
            "completed",
        ],
    }
    for locale, needles in expected.items():
        page = body(web.client.get("/scripts/", headers={"X-Locale": locale}))
        for needle in needles:
            assert needle in page, (locale, needle)
    # a detail page: labels computed in the view (trigger) and the flash after a POST
    s, e = web.acme.script_id, web.acme.execution_id
    page = body(web.client.get(f"/scripts/{s}/executions/{e}", headers={"X-Locale": "ru"}))
    assert "Источник запуска" in page and "Вручную" in page and "Входные данные" in page
    page = body(web.client.get(f"/scripts/{s}/executions/{e}", headers={"X-Locale": "uz"}))
    assert "Ishga tushirish manbai" in page and "Qoʻlda" in page


def test_plurals_through_the_extension_functions(app_factory, rt, fresh_domain):  # noqa: F811
    from flask_babel import Babel

    web = make_web(app_factory, rt)
    Babel(web.app, locale_selector=lambda: request.headers.get("X-Locale", "en"))
    cases = {
        "ru": {
            1: "1 скрипт",
            3: "3 скрипта",
            5: "5 скриптов",
            11: "11 скриптов",
            21: "21 скрипт",
            22: "22 скрипта",
            112: "112 скриптов",
        },
        "uz": {1: "1 ta skript", 2: "2 ta skript", 5: "5 ta skript"},
    }
    for locale, expected in cases.items():
        with web.app.test_request_context(headers={"X-Locale": locale}):
            for n, text in expected.items():
                assert i18n.ngettext("%(num)d script", "%(num)d scripts", n) == text
            assert i18n.gettext("Version %(num)s created", num=7) in (
                "Создана версия 7",
                "7-versiya yaratildi",
            )
            assert str(i18n.lazy_gettext("Name")) in ("Название", "Nomi")


def test_pages_in_english_without_babel(app_factory, rt, fresh_domain):  # noqa: F811
    web = make_web(app_factory, rt)
    assert "babel" not in web.app.extensions
    page = body(web.client.get("/scripts/", headers={"X-Locale": "ru"}))
    for needle in ('lang="en"', "<h1>Scripts</h1>", "New script", "1 script<", "Active"):
        assert needle in page, needle
    assert "Скрипты" not in page and "Skriptlar" not in page
