"""Caller-chosen charsets (issue 15, items 3 and 9): only the allow-list of
``flask_jsscripts.charsets`` is decoded, for an endpoint's request body (anything else: 415)
and for the answer to a script's ``sdk.http`` request (anything else: UNSUPPORTED_CHARSET);
``punycode`` cost quadratic CPU, ``idna`` a 500 with a traceback.

Endpoint cases run on SQLite and PostgreSQL through the real blueprint and sandbox; sdk.http
cases against the loopback test server.
"""

from __future__ import annotations

import codecs
import json
import logging
import random
import time
from urllib.parse import urlencode

import pytest
from endpoint_fixtures import add_http_script
from flask import request
from loopback_server import LoopbackServer

from flask_jsscripts import charsets, tenancy
from flask_jsscripts.capabilities.http import GuardedHttpClient, HttpSettings
from flask_jsscripts.extension import JSScripts
from flask_jsscripts.runtime import HostCallError
from flask_jsscripts.services import executions, scripts
from flask_jsscripts.services.validation import ScriptInput

PREFIX = "/api/scripts"
# Not text encodings, quadratic, or outside the list on purpose (UTF-7, UTF-32).
REFUSED = [
    "punycode",
    "idna",
    "rot13",
    "rot_13",
    "zlib",
    "base64",
    "hex",
    "bz2",
    "uu",
    "quopri",
    "utf-7",
    "utf-32",
    "unicode_escape",
    "raw_unicode_escape",
    "mbcs",
    "klingon",
    "utf-8\x00",
    "utf-8; x",
    "u" * 41,
    "../utf-8",
    "encodings.utf_8",
]


# --- the list itself ----------------------------------------------------------------------


def test_every_allowed_charset_is_a_codec_of_its_own_name():
    for name in charsets.ALLOWED_CHARSETS:
        assert codecs.lookup(name).name == name, name
    for label, codec in charsets.EXTRA_LABELS.items():
        assert codec in charsets.ALLOWED_CHARSETS, label


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        (None, "utf-8"),
        ("", "utf-8"),
        ("UTF-8", "utf-8"),
        ("utf8", "utf-8"),
        (' "utf-8" ', "utf-8"),
        ("us-ascii", "ascii"),
        ("ISO-8859-1", "iso8859-1"),
        ("latin1", "iso8859-1"),
        ("windows-1252", "cp1252"),
        ("UTF-16", "utf-16"),
        ("utf-16le", "utf-16-le"),
        ("windows-1251", "cp1251"),
        ("KOI8-R", "koi8-r"),
        ("Shift_JIS", "shift_jis"),
        ("x-sjis", "shift_jis"),
        ("windows-874", "cp874"),
        ("gb18030", "gb18030"),
        ("EUC-KR", "euc_kr"),
    ],
)
def test_labels_name_their_codec(label, codec):
    assert charsets.codec_for(label) == codec


@pytest.mark.parametrize("label", REFUSED)
def test_quadratic_and_non_text_codecs_are_refused(label):
    with pytest.raises(charsets.UnsupportedCharset) as info:
        charsets.codec_for(label)
    assert "not supported" in str(info.value) and len(info.value.label) <= 40
    with pytest.raises(charsets.UnsupportedCharset):
        charsets.decode(b"abc", label)
    with pytest.raises(charsets.UnsupportedCharset):
        charsets.incremental_decoder(label)


# --- endpoint request bodies --------------------------------------------------------------


@pytest.fixture
def echo(app_factory, rt):
    """A public endpoint /echo answering with its ctx.input; (app, db, client)."""
    ext = JSScripts(runtime=rt)
    ext.tenant_loader(lambda: request.headers.get("X-Tenant"))
    ext.permission_checker(lambda user, perm: True)
    app, db, _ = app_factory(ext=ext)
    with app.app_context():
        db.create_all()
    add_http_script(
        app,
        db,
        "acme",
        "echo",
        source="function main(ctx) { return {input: ctx.input} }",
        methods=("POST",),
    )
    return app, db, app.test_client()


def post(client, data: bytes, content_type: str):
    return client.post(
        PREFIX + "/echo", data=data, headers={"X-Tenant": "acme", "Content-Type": content_type}
    )


def runs(app, db) -> int:
    from sqlalchemy import func, select

    from flask_jsscripts.models import Execution

    with app.app_context(), tenancy.tenant_scope("acme"):
        return db.session.scalar(select(func.count()).select_from(Execution))


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain; charset=punycode",
        "text/plain; charset=idna",  # was a 500: UnicodeError from the idna codec
        "text/plain; charset=klingon",
        "text/csv; charset=utf-7",
        "application/json; charset=punycode",
        "application/x-www-form-urlencoded; charset=punycode",
        "text/plain; charset=rot13",
    ],
)
def test_an_unsupported_charset_is_415_and_nothing_runs(echo, content_type):
    app, db, client = echo
    body = b"a" * 20_000 if "json" not in content_type else b'{"a": 1}'
    if "urlencoded" in content_type:
        body = b"a=" + b"b" * 20_000
    response = post(client, body, content_type)
    assert response.status_code == 415, response.get_data(as_text=True)
    answer = json.loads(response.get_data(as_text=True))
    assert "charset" in answer["error"] and "not supported" in answer["error"]
    assert runs(app, db) == 0


@pytest.mark.parametrize(
    ("text", "content_type", "codec"),
    [
        ("café", "text/plain; charset=ISO-8859-1", "iso8859-1"),
        ("Привет, мир", "text/plain; charset=windows-1251", "cp1251"),
        ("Привет", "text/plain; charset=KOI8-R", "koi8-r"),
        ("こんにちは", "text/plain; charset=Shift_JIS", "shift_jis"),
        ("Oʻzbekiston ✓", "text/plain; charset=utf-16", "utf-16"),
        ("plain ✓", "text/plain", "utf-8"),
    ],
)
def test_allowed_charsets_are_decoded(echo, text, content_type, codec):
    _app, _db, client = echo
    response = post(client, text.encode(codec), content_type)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert json.loads(response.get_data(as_text=True)) == {"input": text}


def test_json_bodies_honour_an_allowed_charset(echo):
    _app, _db, client = echo
    sent = {"город": "Тошкент"}
    for codec, label in (("utf-16", "utf-16"), ("cp1251", "windows-1251"), ("utf-8", "utf-8")):
        raw = json.dumps(sent, ensure_ascii=False).encode(codec)
        response = post(client, raw, f"application/json; charset={label}")
        assert json.loads(response.get_data(as_text=True)) == {"input": sent}, label
    # without a charset JSON's own detection still reads UTF-16 and a UTF-8 BOM
    for raw in (json.dumps(sent).encode("utf-16"), b"\xef\xbb\xbf" + json.dumps(sent).encode()):
        response = post(client, raw, "application/json")
        assert json.loads(response.get_data(as_text=True)) == {"input": sent}


def test_an_empty_body_needs_no_decoding(echo):
    _app, _db, client = echo
    assert post(client, b"", "text/plain; charset=utf-8").status_code == 200


# --- sdk.http answers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    with LoopbackServer() as srv:
        yield srv


def client(timeout: float = 5.0) -> GuardedHttpClient:
    settings = HttpSettings(timeout=timeout, allow_private_hosts=("127.0.0.1",))
    return GuardedHttpClient(settings)


def charset_url(server, label: str, **query: str) -> str:
    return f"{server.url}/charset?{urlencode({'cs': label, **query})}"


@pytest.mark.parametrize("label", ["punycode", "idna", "klingon", "utf-7", "rot13"])
def test_sdk_http_refuses_an_unsupported_charset(server, label):
    url = charset_url(server, label, body="a", repeat="200000", codec="utf-8")
    with pytest.raises(HostCallError) as info:
        client().request("GET", url)
    assert info.value.code == "UNSUPPORTED_CHARSET"
    assert "not supported" in info.value.message


def test_sdk_http_decodes_allowed_charsets(server):
    answer = client().request(
        "GET", charset_url(server, "windows-1251", body="Привет", codec="cp1251")
    )
    assert answer["body"] == "Привет"
    answer = client().request(
        "GET",
        charset_url(server, "utf-16", body='{"a": "é"}', codec="utf-16", type="application/json"),
    )
    assert answer["body"] == {"a": "é"}
    # a multi-byte character split across read chunks (64 KiB) decodes whole
    url = charset_url(server, "utf-8", body="xя", repeat="50000", codec="utf-8")
    assert client().request("GET", url)["body"] == "xя" * 50_000


def test_sdk_http_json_a_script_cannot_hold_comes_as_text(server):
    deep = "[" * 300 + "]" * 300
    for body in (deep, '{"n": 1e999}', '{"n": NaN}'):
        url = charset_url(server, "utf-8", body=body, codec="utf-8", type="application/json")
        assert client().request("GET", url)["body"] == body


def test_sdk_http_json_with_more_values_than_the_cap_comes_as_text(server):
    """The parent would otherwise build one Python object per value (5 MB of `[{},...]` is 1.7
    million) while it serves the call; as text the script parses it inside the sandbox."""
    body = "[{}, {}, [1], {}]"  # 6 values
    url = charset_url(server, "utf-8", body=body, codec="utf-8", type="application/json")
    settings = HttpSettings(allow_private_hosts=("127.0.0.1",), max_json_values=6)
    assert GuardedHttpClient(settings).request("GET", url)["body"] == [{}, {}, [1], {}]
    settings = HttpSettings(allow_private_hosts=("127.0.0.1",), max_json_values=5)
    assert GuardedHttpClient(settings).request("GET", url)["body"] == body
    config = {
        "JSSCRIPTS_HTTP_TIMEOUT": 5,
        "JSSCRIPTS_HTTP_MAX_RESPONSE_BYTES": 1024,
        "JSSCRIPTS_HTTP_MAX_REDIRECTS": 0,
        "JSSCRIPTS_MAX_OUTPUT_ELEMENTS": 7,
        "JSSCRIPTS_HTTP_ALLOWED_HOSTS": [],
        "JSSCRIPTS_HTTP_ALLOW_PRIVATE_HOSTS": [],
    }
    assert HttpSettings.from_config(config).max_json_values == 7


def test_sdk_http_decoding_stays_within_the_request_deadline(server):
    """5 MiB of random bytes in ISO-8859-8 (half its bytes are invalid: every one goes through
    the replacement handler, the slowest allowed decoding) arrive at once over loopback. The
    deadline is set to end half-way through their decoding, measured on this machine beside a
    fetch of the same bytes in ISO-8859-1 (the fastest decoding): the answer is a timeout, not a
    success returned after the deadline."""
    size = 5 * 1024 * 1024
    payload = random.Random(size).randbytes(size)
    started = time.perf_counter()
    payload.decode("iso-8859-8", "replace")
    decoding = time.perf_counter() - started
    fetching = min(_timed_fetch(charset_url(server, "iso-8859-1", size=str(size))) for _ in "abc")
    timeout = fetching + decoding / 2
    settings = HttpSettings(timeout=timeout, allow_private_hosts=("127.0.0.1",))
    started = time.perf_counter()
    with pytest.raises(HostCallError) as info:
        GuardedHttpClient(settings).request(
            "GET", charset_url(server, "iso-8859-8", size=str(size))
        )
    assert info.value.code == "HTTP_TIMEOUT"
    assert time.perf_counter() - started < fetching + decoding


def _timed_fetch(url: str) -> float:
    started = time.perf_counter()
    client().request("GET", url)
    return time.perf_counter() - started


def test_a_script_gets_unsupported_charset_and_nothing_is_logged_as_a_crash(
    http_app, server, caplog
):
    """charset=idna used to raise UnicodeError inside the broker: the run logged a traceback
    and the script saw HOST_ERROR."""
    app, db = http_app
    state = app.extensions["jsscripts"]
    source = """
    function main(ctx) {
      try { sdk.http.get(ctx.input.url); return 'decoded'; }
      catch (e) { return {code: e.code, message: e.message}; }
    }"""
    saved = scripts.create_script(
        db.session,
        ScriptInput(name="fetch", source=source),
        config=app.config,
        runtime=state.runtime,
    )
    url = charset_url(server, "idna", body="bücher.example", codec="idna")
    with caplog.at_level(logging.DEBUG):
        execution = executions.run_script(
            db.session, state.run_context(), saved.script.id, "manual", {"url": url}
        )
    assert execution.status == "completed", execution.error
    assert execution.output["code"] == "UNSUPPORTED_CHARSET"
    assert "idna" in execution.output["message"]
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
