"""The UI pages and htmx fragments, for an admin and a read-only viewer, on both backends."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event
from web_fixtures import READ, make_web

from flask_jsscripts import i18n, tenancy
from flask_jsscripts.models import Execution, Script, ScriptVersion

EDITOR_ATTRS = (
    "data-jsscripts-editor",
    'data-monaco-base="/scripts/monaco/vs"',
    'data-dts-url="/scripts/static/sdk.d.ts"',
)


def html(response) -> str:
    return response.get_data(as_text=True)


def test_every_page_renders_for_an_admin(web):
    s, e = web.acme.script_id, web.acme.execution_id
    pages = {
        "/scripts/": ["acme-report", 'hx-headers=\'{"X-CSRFToken": ', "New script", "Disable"],
        "/scripts/new": [*EDITOR_ATTRS, 'name="csrf_token"', "Limits", "Version note"],
        f"/scripts/{s}": ["Run now", "Executions", "Edit", "Delete", "data-readonly"],
        f"/scripts/{s}/edit": [*EDITOR_ATTRS, "acme-report", "return {n: 2}"],
        f"/scripts/{s}/versions": ["Diff against current", "Roll back to this version"],
        f"/scripts/{s}/versions/1": [
            "data-jsscripts-diff",
            'data-side="original"',
            'data-side="modified"',
            "jsscripts-diff-added",
            "jsscripts-diff-removed",
        ],
        f"/scripts/{s}/executions": ["completed"],
        f"/scripts/{s}/executions/{e}": ["Output", "Input", "Metrics", "duration_ms"],
    }
    for url, needles in pages.items():
        response = web.client.get(url)
        assert response.status_code == 200, url
        body = html(response)
        assert "globex" not in body, url
        assert '<meta name="viewport"' in body
        for needle in needles:
            assert needle in body, (url, needle)
        # every visible form control has a label
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", body):
            control = re.search(r'\bid="([^"]+)"', tag)
            if 'type="hidden"' in tag:
                continue
            assert control and f'for="{control.group(1)}"' in body, (url, tag)


def test_viewer_sees_no_state_changing_controls(web):
    s = web.acme.script_id
    for url in ("/scripts/", f"/scripts/{s}", f"/scripts/{s}/versions", f"/scripts/{s}/versions/1"):
        body = html(web.client.get(url, perms=READ))
        for forbidden in (
            "New script",
            '/edit"',
            '/run"',
            '/delete"',
            '/status"',
            '/rollback"',
            "Run now",
            "Roll back",
        ):
            assert forbidden not in body, (url, forbidden)


def test_create_shows_errors_next_to_fields_and_syntax_position(web):
    response = web.client.post(
        "/scripts/new",
        {
            "name": "bad name!",
            "type": "scheduled",
            "status": "draft",
            "cron": "61 * * * *",
            "timezone": "Mars/Olympus",
            "source": "function main( {\n}",
            "limit_timeout": "soon",
            "event_filter": "[1]",
            "http_auth": "session",
        },
    )
    assert response.status_code == 422
    body = html(response)
    for field in ("name", "timezone", "limit_timeout", "source", "event_filter"):
        assert f'id="{field}-errors"' in body, field
        assert f'aria-describedby="{field}-errors"' in body or f'{field}-errors"' in body
    assert re.search(r'data-error-line="2" data-error-column="\d+"', body)
    assert "data-error-message=" in body
    assert web.count(Script, "acme") == 1


def test_create_then_edit_flashes_the_version(web):
    response = web.client.post(
        "/scripts/new",
        {
            "name": "nightly",
            "type": "scheduled",
            "status": "active",
            "cron": "0 3 * * *",
            "timezone": "Europe/Berlin",
            "source": "function main() { return 1 }",
            "tags": "ops, nightly",
            "limit_timeout": "5",
            "http_auth": "session",
        },
    )
    assert response.status_code == 303
    view_url = response.headers["Location"]
    body = html(web.client.get(view_url))
    assert "Version 1 created" in body and "0 3 * * *" in body and "Europe/Berlin" in body
    script_id = view_url.rsplit("/", 1)[1]
    form = {
        "name": "nightly",
        "type": "scheduled",
        "status": "active",
        "cron": "0 4 * * *",
        "timezone": "Europe/Berlin",
        "source": "function main() { return 1 }",
        "http_auth": "session",
    }
    response = web.client.post(f"/scripts/{script_id}/edit", form)
    assert response.status_code == 303
    assert "Saved" in html(web.client.get(view_url))
    response = web.client.post(
        f"/scripts/{script_id}/edit",
        {**form, "source": "function main() { return 2 }", "note": "n"},
    )
    assert "Version 2 created" in html(web.client.get(response.headers["Location"]))


def test_http_and_event_types_round_trip_through_the_edit_form(web):
    response = web.client.post(
        "/scripts/new",
        {
            "name": "hook",
            "type": "http",
            "status": "draft",
            "http_path": "/orders/{id}",
            "http_methods": ["GET", "POST"],
            "http_auth": "token",
            "timezone": "UTC",
            "source": "function main(ctx) { return {status: 200} }",
        },
    )
    assert response.status_code == 303, html(response)
    script_id = response.headers["Location"].rsplit("/", 1)[1]
    body = html(web.client.get(f"/scripts/{script_id}/edit"))
    assert 'value="/orders/{id}"' in body
    assert re.search(r'checked[^>]*value="POST"|value="POST"[^>]*checked', body)
    response = web.client.post(
        "/scripts/new",
        {
            "name": "listener",
            "type": "event",
            "status": "draft",
            "timezone": "UTC",
            "event_types": "order.created\norder.*",
            "event_filter": '{"all": []}',
            "http_auth": "session",
            "source": "function main(ctx) { return ctx.event }",
        },
    )
    assert response.status_code == 303, html(response)
    script_id = response.headers["Location"].rsplit("/", 1)[1]
    body = html(web.client.get(f"/scripts/{script_id}/edit"))
    assert re.search(r"order\.\*\s+order\.created|order\.created\s+order\.\*", body)


def test_run_via_htmx_returns_the_result_fragment(web):
    s = web.acme.script_id
    response = web.client.post(f"/scripts/{s}/run", {"input": '{"a": 1}'}, htmx=True, csrf="header")
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "jsscripts:ran"
    body = html(response)
    assert body.lstrip().startswith('<section id="jsscripts-run-panel"')
    assert "<html" not in body and "completed" in body and "&#34;n&#34;: 2" in body
    bad = web.client.post(f"/scripts/{s}/run", {"input": '{"a": '}, htmx=True, csrf="header")
    assert bad.status_code == 422 and "not valid JSON" in html(bad)
    assert 'aria-invalid="true"' in html(bad)
    failing = web.client.post(
        "/scripts/new",
        {
            "name": "boom",
            "type": "manual",
            "status": "active",
            "timezone": "UTC",
            "http_auth": "session",
            "source": "function main() {\n  throw new Error('kaput')\n}",
        },
    )
    boom = failing.headers["Location"].rsplit("/", 1)[1]
    body = html(web.client.post(f"/scripts/{boom}/run", {}, htmx=True, csrf="header"))
    assert "kaput" in body and "line 2" in body and "failed" in body
    # without htmx: redirect to the execution page
    response = web.client.post(f"/scripts/{s}/run", {"input": ""})
    assert response.status_code == 303 and "/executions/" in response.headers["Location"]
    history = html(web.client.get(f"/scripts/{s}/executions", htmx=True))
    assert "every 3s" not in history and "jsscripts:ran from:body" in history


def test_history_polls_only_while_something_is_pending(web):
    s = web.acme.script_id
    with web.app.app_context(), tenancy.tenant_scope("acme"):
        web.db.session.add(Execution(script_id=s, trigger="event", status="pending", version=2))
        web.db.session.commit()
    body = html(web.client.get(f"/scripts/{s}/executions", htmx=True))
    assert "every 3s" in body and "<html" not in body


def test_status_toggle_delete_and_rollback(web):
    s = web.acme.script_id
    row = web.client.post(f"/scripts/{s}/status", {"status": "disabled"}, htmx=True, csrf="header")
    assert row.status_code == 200
    assert html(row).lstrip().startswith(f'<tr id="jsscripts-row-{s}"') and "Enable" in html(row)
    bad = web.client.post(f"/scripts/{s}/status", {"status": "nonsense"}, htmx=True, csrf="header")
    assert bad.status_code == 422 and bad.mimetype == "text/plain"
    response = web.client.post(f"/scripts/{s}/versions/1/rollback")
    assert response.status_code == 303
    assert "Version 3 created" in html(web.client.get(response.headers["Location"]))
    assert web.count(ScriptVersion, "acme") == 3
    response = web.client.post(f"/scripts/{s}/versions/3/rollback", htmx=True, csrf="header")
    assert response.status_code == 422  # already current
    # delete from the list (row removed in place) ...
    gone = web.client.post(
        f"/scripts/{s}/delete",
        htmx=True,
        csrf="header",
        headers={"HX-Target": f"jsscripts-row-{s}"},
    )
    assert gone.status_code == 200 and gone.data == b""
    assert web.count(Script, "acme") == 0 and web.count(Script, "globex") == 1
    # ... and from the view page (redirect to the list)
    g = web.globex.script_id
    response = web.client.post(f"/scripts/{g}/delete", tenant="globex", htmx=True, csrf="header")
    assert response.headers["HX-Redirect"] == "/scripts/"


def test_list_search_filters_pagination_and_bad_input(web):
    for n in range(30):
        web.client.post(
            "/scripts/new",
            {
                "name": f"job {n:02d}",
                "type": "manual",
                "status": "paused" if n % 2 else "draft",
                "timezone": "UTC",
                "http_auth": "session",
                "source": "function main() { return 1 }",
            },
        )
    body = html(web.client.get("/scripts/?q=job"))
    assert "30 scripts" in body and "Page 1 of 2" in body
    assert "15 scripts" in html(web.client.get("/scripts/?q=job&status=paused"))
    assert "0 scripts" in html(web.client.get("/scripts/?type=event"))
    for query in ("page=abc", "page=-4", "page=99999999999999", "type=x&status=%00", "q=%25_%5C"):
        assert web.client.get(f"/scripts/?{query}").status_code == 200, query
    fragment = web.client.get(
        "/scripts/?q=job 0", htmx=True, headers={"HX-Target": "jsscripts-results"}
    )
    assert html(fragment).lstrip().startswith('<div id="jsscripts-results"')


def test_list_has_no_n_plus_one(web):
    def statements(url: str) -> int:
        count = 0
        with web.app.app_context():
            engine = web.db.engine

            def on_execute(*_args, **_kw):
                nonlocal count
                count += 1

            event.listen(engine, "before_cursor_execute", on_execute)
            try:
                assert web.client.get(url).status_code == 200
            finally:
                event.remove(engine, "before_cursor_execute", on_execute)
        return count

    few = statements("/scripts/")
    for n in range(8):
        r = web.client.post(
            "/scripts/new",
            {
                "name": f"extra {n}",
                "type": "manual",
                "status": "active",
                "timezone": "UTC",
                "http_auth": "session",
                "source": "function main() { return 1 }",
            },
        )
        web.client.post(r.headers["Location"] + "/run", {})
    assert statements("/scripts/") == few


def test_cron_preview_fragment(web):
    body = html(
        web.client.get("/scripts/cron-preview?cron=0+9+*+*+1&timezone=Asia/Tashkent", htmx=True)
    )
    assert body.count("<li>") == 5 and "+05:00" in body
    for bad in ("cron=nope", "cron=*+*+*+*+*&timezone=Nowhere/Land", "cron=" + "*" * 500):
        response = web.client.get(f"/scripts/cron-preview?{bad}", htmx=True)
        assert response.status_code == 200 and "jsscripts-errors" in html(response)


def test_errors_are_text_for_htmx_and_pages_otherwise(web):
    missing = web.client.get("/scripts/00000000-0000-0000-0000-000000000000", htmx=True)
    assert missing.status_code == 404 and missing.mimetype == "text/plain"
    page = web.client.get("/scripts/00000000-0000-0000-0000-000000000000")
    assert page.status_code == 404 and "<html" in html(page) and "Error 404" in html(page)
    denied = web.client.post(
        f"/scripts/{web.acme.script_id}/run", {}, perms=READ, htmx=True, csrf="header"
    )
    assert denied.status_code == 403 and "permission" in html(denied)


def test_run_refused_when_manual_runs_are_off(app_factory, rt):
    web = make_web(app_factory, rt)
    web.app.config["JSSCRIPTS_ENABLE_MANUAL"] = False
    s = web.acme.script_id
    assert "Run now" not in html(web.client.get(f"/scripts/{s}"))
    response = web.client.post(f"/scripts/{s}/run", {}, htmx=True, csrf="header")
    assert response.status_code == 429 and "switched off" in html(response)


@pytest.fixture
def catalogue(tmp_path, monkeypatch):
    """A Russian catalogue of our domain with a few messages."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    catalog = Catalog(locale="ru", domain=i18n.DOMAIN)
    catalog.add("Scripts", "Скрипты")
    catalog.add(
        ("%(num)d script", "%(num)d scripts"),
        ("%(num)d скрипт", "%(num)d скрипта", "%(num)d скриптов"),
    )
    folder = tmp_path / "ru" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / f"{i18n.DOMAIN}.mo", "wb") as fh:
        write_mo(fh, catalog)
    i18n.domain.cache_clear()
    monkeypatch.setattr(i18n, "translations_dir", lambda: str(tmp_path))
    yield
    i18n.domain.cache_clear()


def test_pages_use_the_extension_domain_with_host_babel(app_factory, rt, catalogue):
    from flask_babel import Babel

    web = make_web(app_factory, rt)
    Babel(web.app, locale_selector=lambda: "ru")
    body = html(web.client.get("/scripts/"))
    assert "Скрипты" in body and "1 скрипт" in body and 'lang="ru"' in body


def test_english_without_babel_and_outside_requests():
    assert i18n.gettext("Version %(num)s created", num=3) == "Version 3 created"
    assert i18n.ngettext("%(num)d script", "%(num)d scripts", 2) == "2 scripts"
    assert str(i18n.lazy_gettext("Name")) == "Name"


def test_every_page_renders_when_the_host_disables_csrf(app_factory, rt):
    """Flask-WTF forms have no csrf_token field then: no page may depend on it."""
    web = make_web(app_factory, rt, config={"WTF_CSRF_ENABLED": False})
    s = web.acme.script_id
    for url in (
        "/scripts/",
        "/scripts/new",
        f"/scripts/{s}",
        f"/scripts/{s}/edit",
        f"/scripts/{s}/versions",
        f"/scripts/{s}/versions/1",
    ):
        assert web.client.get(url).status_code == 200, url
