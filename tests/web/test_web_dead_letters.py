"""Dead-letter pages (list, detail, replay, discard, bulk actions) and the filter tester of the
script form, on both backends, with real rows."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from dead_letter_fixtures import ERROR, add_dead_letter, add_event_script, seed_dead_letters
from sqlalchemy import func, select
from web_fixtures import READ, make_web

from flask_jsscripts import tenancy
from flask_jsscripts.models import DeadLetter, Execution, Script
from flask_jsscripts.services import scripts

EXECUTE = "scripts.read,scripts.execute"
UPDATE = "scripts.read,scripts.update"


def html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def web(app_factory, rt):
    made = make_web(app_factory, rt)
    seed_dead_letters(made)
    return made


def letter(web, letter_id: str, tenant: str = "acme") -> DeadLetter:
    with web.app.app_context(), tenancy.tenant_scope(tenant):
        found = web.db.session.get(DeadLetter, letter_id)
        web.db.session.expunge(found)
        return found


def runs_of(web, letter_id: str, tenant: str = "acme") -> list[Execution]:
    with web.app.app_context(), tenancy.tenant_scope(tenant):
        row = web.db.session.get(DeadLetter, letter_id)
        found = web.db.session.scalars(
            select(Execution)
            .where(Execution.event_id == row.event_id, Execution.script_id == row.script_id)
            .order_by(Execution.attempt)
        ).all()
        web.db.session.expunge_all()
        return list(found)


def open_letters(web, tenant: str) -> int:
    with web.app.app_context(), tenancy.tenant_scope(tenant):
        return web.db.session.scalar(
            select(func.count())
            .select_from(DeadLetter)
            .where(DeadLetter.replayed_at.is_(None), DeadLetter.discarded_at.is_(None))
        )


def set_status(web, script_id: str, status: str, tenant: str = "acme") -> None:
    with web.app.app_context(), tenancy.tenant_scope(tenant):
        scripts.set_status(web.db.session, script_id, status, actor="test")


def assert_labelled(body: str) -> None:
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", body):
        if 'type="hidden"' in tag:
            continue
        control = re.search(r'\bid="([^"]+)"', tag)
        assert control and f'for="{control.group(1)}"' in body, tag


# --- pages ----------------------------------------------------------------------------------


def test_list_detail_and_script_link_render_for_an_admin(web):
    a = web.acme
    body = html(web.client.get("/scripts/dead-letters"))
    assert "2 dead letters" in body
    assert "acme-listener" in body and f'href="/scripts/{a.dl_script_id}"' in body
    assert "order.created" in body and "Cannot read properties of undefined" in body
    assert re.search(r'data-label="Attempts">3</td>', body)
    for needle in ("Replay all open", "Discard all open", "hx-confirm=", "Replay", "Discard"):
        assert needle in body, needle
    assert f'id="jsscripts-dl-row-{a.dead_letter_id}"' in body
    assert "globex" not in body
    assert '<meta name="viewport"' in body
    assert_labelled(body)

    detail = html(web.client.get(f"/scripts/dead-letters/{a.dead_letter_id}"))
    assert "Dead letter of acme-listener" in detail
    assert "&#34;customer&#34;: &#34;Wile E.&#34;" in detail  # the payload, pretty JSON
    assert "    at main (script.js:3:22)" in detail  # the stack
    for run in runs_of(web, a.dead_letter_id):
        assert f'href="/scripts/{a.dl_script_id}/executions/{run.id}"' in detail
    assert detail.count("attempt ") >= 3 and ">open<" in detail
    assert "globex" not in detail

    view = html(web.client.get(f"/scripts/{a.dl_script_id}"))
    assert "2 open dead letters" in view
    assert f'href="/scripts/dead-letters?script={a.dl_script_id}"' in view
    # a script without dead letters that is not an event script: no link
    assert "open dead letter" not in html(web.client.get(f"/scripts/{a.script_id}"))
    # the list page links to the dead letters
    assert 'href="/scripts/dead-letters"' in html(web.client.get("/scripts/"))


def test_list_filters_by_state_and_script_and_paginates(web):
    a = web.acme
    other = add_event_script(web.app, web.db, "acme", "acme-other")
    for n in range(30):
        add_dead_letter(web.app, web.db, "acme", other, attempts=1, age_minutes=10 + n)
    body = html(web.client.get("/scripts/dead-letters"))
    assert "32 dead letters" in body and "Page 1 of 2" in body
    page2 = html(web.client.get("/scripts/dead-letters?page=2"))
    assert "Page 2 of 2" in page2 and 'rel="prev"' in page2
    assert "Page 2 of 2" in html(web.client.get("/scripts/dead-letters?page=99"))
    only = html(web.client.get(f"/scripts/dead-letters?script={a.dl_script_id}"))
    assert "2 dead letters" in only and "acme-other</a></td>" not in only
    assert "0 dead letters" in html(web.client.get("/scripts/dead-letters?state=replayed"))
    assert "32 dead letters" in html(web.client.get("/scripts/dead-letters?state=all"))
    for query in ("state=nonsense", "page=abc", "page=-1", "page=99999999999999", "script="):
        assert web.client.get(f"/scripts/dead-letters?{query}").status_code == 200, query
    fragment = web.client.get(
        "/scripts/dead-letters?state=open",
        htmx=True,
        headers={"HX-Target": "jsscripts-dl-results"},
    )
    assert html(fragment).lstrip().startswith('<div id="jsscripts-dl-results"')
    # the pagination keeps the filter
    assert f"script={other}" in html(web.client.get(f"/scripts/dead-letters?script={other}"))


def test_viewer_reads_but_has_no_controls_and_gets_403(web):
    a = web.acme
    for url in (
        "/scripts/dead-letters",
        f"/scripts/dead-letters/{a.dead_letter_id}",
    ):
        response = web.client.get(url, perms=READ)
        assert response.status_code == 200, url
        body = html(response)
        for forbidden in ("/replay", "/discard", ">Replay<", ">Discard<", "Replay all open"):
            assert forbidden not in body, (url, forbidden)
    for action in ("replay", "discard"):
        url = f"/scripts/dead-letters/{a.dead_letter_id}/{action}"
        assert web.client.post(url, perms=READ).status_code == 403
    for action in ("replay-all", "discard-all"):
        assert web.client.post(f"/scripts/dead-letters/{action}", perms=READ).status_code == 403
    # replay needs execute, discard needs update: each alone is not enough for the other
    url = f"/scripts/dead-letters/{a.dead_letter_id}"
    assert web.client.post(url + "/discard", perms=EXECUTE).status_code == 403
    assert web.client.post(url + "/replay", perms=UPDATE).status_code == 403
    with_execute = html(web.client.get(url, perms=EXECUTE))
    assert "/replay" in with_execute and "/discard" not in with_execute
    assert open_letters(web, "acme") == 2
    # and nothing at all without the read permission
    assert web.client.get("/scripts/dead-letters", perms="scripts.execute").status_code == 403


# --- replay and discard ---------------------------------------------------------------------


def test_replay_from_the_list_row_via_htmx(web):
    a = web.acme
    response = web.client.post(
        f"/scripts/dead-letters/{a.dead_letter_id}/replay",
        {"return_to": "list", "state": "open"},
        htmx=True,
        csrf="header",
        headers={"HX-Target": f"jsscripts-dl-row-{a.dead_letter_id}"},
    )
    assert response.status_code == 200, html(response)
    body = html(response)
    assert body.lstrip().startswith(f'<tr id="jsscripts-dl-row-{a.dead_letter_id}"')
    assert "<html" not in body and ">replayed<" in body
    assert "The event was queued again (attempt 4)." in body
    runs = runs_of(web, a.dead_letter_id)
    assert [r.attempt for r in runs] == [1, 2, 3, 4]
    replay = runs[-1]
    assert replay.status == "pending" and replay.trigger == "event"
    assert replay.input["data"] == {"order": {"id": 7, "customer": "Wile E."}}
    assert f"/executions/{replay.id}" in body  # "View the run"
    assert letter(web, a.dead_letter_id).replayed_at is not None
    assert letter(web, a.other_letter_id).replayed_at is None
    # no controls left on the row, and a second replay is refused (409, text for ui.js)
    assert "/replay" not in body and "/discard" not in body
    again = web.client.post(
        f"/scripts/dead-letters/{a.dead_letter_id}/replay",
        htmx=True,
        csrf="header",
        headers={"HX-Target": f"jsscripts-dl-row-{a.dead_letter_id}"},
    )
    assert again.status_code == 409 and again.mimetype == "text/plain"
    assert "already replayed or discarded" in html(again)
    assert len(runs_of(web, a.dead_letter_id)) == 4
    # the detail page lists the replay among the runs
    detail = html(web.client.get(f"/scripts/dead-letters/{a.dead_letter_id}"))
    assert f"/executions/{replay.id}" in detail and ">replay<" in detail


def test_replay_and_discard_without_htmx_redirect_and_flash(web):
    a = web.acme
    response = web.client.post(f"/scripts/dead-letters/{a.dead_letter_id}/replay")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/scripts/dead-letters/{a.dead_letter_id}"
    assert "The event was queued again (attempt 4)." in html(
        web.client.get(response.headers["Location"])
    )
    response = web.client.post(
        f"/scripts/dead-letters/{a.other_letter_id}/discard",
        {"return_to": "list", "state": "all", "script": a.dl_script_id},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == (
        f"/scripts/dead-letters?state=all&script={a.dl_script_id}"
    )
    page = html(web.client.get(response.headers["Location"]))
    assert "Dead letter discarded." in page and ">discarded<" in page and ">replayed<" in page
    assert letter(web, a.other_letter_id).discarded_at is not None
    assert len(runs_of(web, a.other_letter_id)) == 3  # discarding runs nothing
    # a refusal without htmx: the detail page with the message, 409
    refused = web.client.post(f"/scripts/dead-letters/{a.other_letter_id}/replay")
    assert refused.status_code == 409 and "<html" in html(refused)
    assert "already replayed or discarded" in html(refused)
    refused = web.client.post(f"/scripts/dead-letters/{a.other_letter_id}/discard")
    assert refused.status_code == 409


def test_discard_from_the_detail_page_via_htmx(web):
    a = web.acme
    response = web.client.post(
        f"/scripts/dead-letters/{a.dead_letter_id}/discard",
        htmx=True,
        csrf="header",
        headers={"HX-Target": "jsscripts-dead-letter"},
    )
    assert response.status_code == 200
    body = html(response)
    assert body.lstrip().startswith('<div id="jsscripts-dead-letter"')
    assert "Dead letter discarded." in body and ">discarded<" in body and "<html" not in body
    assert "/replay" not in body
    assert open_letters(web, "acme") == 1 and open_letters(web, "globex") == 2


def test_replay_refused_for_an_inactive_script_or_with_events_off(web):
    a = web.acme
    set_status(web, a.dl_script_id, "paused")
    detail = html(web.client.get(f"/scripts/dead-letters/{a.dead_letter_id}"))
    assert "activate it before replaying" in detail
    response = web.client.post(
        f"/scripts/dead-letters/{a.dead_letter_id}/replay",
        htmx=True,
        csrf="header",
        headers={"HX-Target": "jsscripts-dead-letter"},
    )
    assert response.status_code == 409 and response.mimetype == "text/plain"
    assert "not active" in html(response)
    assert letter(web, a.dead_letter_id).replayed_at is None
    assert len(runs_of(web, a.dead_letter_id)) == 3
    set_status(web, a.dl_script_id, "active")
    web.app.config["JSSCRIPTS_ENABLE_EVENTS"] = False
    response = web.client.post(f"/scripts/dead-letters/{a.dead_letter_id}/replay")
    assert response.status_code == 409 and "switched off" in html(response)
    web.app.config["JSSCRIPTS_ENABLE_EVENTS"] = True
    assert web.client.post(f"/scripts/dead-letters/{a.dead_letter_id}/replay").status_code == 303


def test_replay_all_and_discard_all(web):
    a = web.acme
    paused = add_event_script(web.app, web.db, "acme", "acme-paused", status="paused")
    add_dead_letter(web.app, web.db, "acme", paused)
    response = web.client.post(
        "/scripts/dead-letters/replay-all",
        {"state": "open"},
        htmx=True,
        csrf="header",
        headers={"HX-Target": "jsscripts-dl-results"},
    )
    assert response.status_code == 200
    body = html(response)
    assert body.lstrip().startswith('<div id="jsscripts-dl-results"')
    assert "2 events queued again." in body
    assert "1 dead letter of acme-paused was not replayed: the script is not active." in body
    assert "1 dead letter<" in body  # what is left open
    assert open_letters(web, "acme") == 1 and open_letters(web, "globex") == 2
    for letter_id in (a.dead_letter_id, a.other_letter_id):
        assert [r.status for r in runs_of(web, letter_id)][-1] == "pending"
    # nothing left to replay (for a script's filter)
    response = web.client.post(
        "/scripts/dead-letters/replay-all", {"state": "open", "script": a.dl_script_id}
    )
    assert response.status_code == 303
    assert (
        response.headers["Location"] == f"/scripts/dead-letters?state=open&script={a.dl_script_id}"
    )
    assert "There are no open dead letters to replay." in html(
        web.client.get(response.headers["Location"])
    )
    # discard all of one script only, then every open one
    other = add_event_script(web.app, web.db, "acme", "acme-third")
    add_dead_letter(web.app, web.db, "acme", other)
    add_dead_letter(web.app, web.db, "acme", other)
    response = web.client.post(
        "/scripts/dead-letters/discard-all",
        {"state": "open", "script": other},
        htmx=True,
        csrf="header",
    )
    assert response.status_code == 200 and "2 dead letters discarded." in html(response)
    assert open_letters(web, "acme") == 1
    response = web.client.post("/scripts/dead-letters/discard-all", {"state": "open"})
    assert response.status_code == 303
    assert "1 dead letter discarded." in html(web.client.get(response.headers["Location"]))
    assert open_letters(web, "acme") == 0 and open_letters(web, "globex") == 2
    # the open list offers no bulk action when it is empty
    assert "Replay all open" not in html(web.client.get("/scripts/dead-letters"))


# --- tenants and bad ids --------------------------------------------------------------------


def test_foreign_and_unknown_ids_are_404_and_change_nothing(web):
    g = web.globex
    unknown = str(uuid.uuid4())
    for letter_id in (g.dead_letter_id, unknown, "x" * 300, "é", "1 OR 1=1"):
        for htmx in (False, True):
            assert (
                web.client.get(f"/scripts/dead-letters/{letter_id}", htmx=htmx).status_code == 404
            )
            for action in ("replay", "discard"):
                response = web.client.post(
                    f"/scripts/dead-letters/{letter_id}/{action}", htmx=htmx, csrf="header"
                )
                assert response.status_code == 404, (letter_id, action, htmx)
    foreign = web.client.get(f"/scripts/dead-letters/{g.dead_letter_id}")
    missing = web.client.get(f"/scripts/dead-letters/{unknown}")
    strip = re.compile(r'("X-CSRFToken": ")[^"]*')
    assert strip.sub("", html(foreign)) == strip.sub("", html(missing))
    assert "Error 404" in html(foreign)
    # a foreign script as the list's filter, or as the bulk actions' scope
    assert web.client.get(f"/scripts/dead-letters?script={g.dl_script_id}").status_code == 404
    for action in ("replay-all", "discard-all"):
        response = web.client.post(
            f"/scripts/dead-letters/{action}", {"script": g.dl_script_id}, htmx=True
        )
        assert response.status_code == 404, action
    assert open_letters(web, "globex") == 2 and open_letters(web, "acme") == 2
    assert letter(web, g.dead_letter_id, "globex").replayed_at is None


def test_posts_need_csrf(web):
    a = web.acme
    for url in (
        f"/scripts/dead-letters/{a.dead_letter_id}/replay",
        f"/scripts/dead-letters/{a.dead_letter_id}/discard",
        "/scripts/dead-letters/replay-all",
        "/scripts/dead-letters/discard-all",
        "/scripts/filter-test",
    ):
        for csrf in ("none", "bad"):
            assert web.client.post(url, csrf=csrf).status_code == 400, (url, csrf)
    assert open_letters(web, "acme") == 2


# --- the filter tester ----------------------------------------------------------------------

FILTER = {
    "all": [
        {"path": "order.total", "op": "gt", "value": 100},
        {"path": "order.status", "op": "in", "value": ["paid", "shipped"]},
        {"not": {"path": "order.test", "op": "exists"}},
    ]
}


def filter_test(web, event_filter, sample, perms: str = "scripts.read,scripts.update"):
    data = {
        "event_filter": event_filter if isinstance(event_filter, str) else json.dumps(event_filter),
        "filter_sample": sample if isinstance(sample, str) else json.dumps(sample),
    }
    return web.client.post("/scripts/filter-test", data, perms=perms, htmx=True, csrf="header")


def test_filter_tester_shows_the_verdict_and_every_condition(web):
    matched = filter_test(web, FILTER, {"order": {"total": 120.5, "status": "paid"}})
    assert matched.status_code == 200
    body = html(matched)
    assert body.lstrip().startswith('<div id="jsscripts-filter-result"')
    assert "Matched" in body and "Not matched" not in body and "<html" not in body
    assert body.count("<tr>") == 1 + 3  # the head and one row per condition
    assert "order.total gt 100" in body and "120.5" in body
    assert "all[2].not" in body and "(missing)" in body

    missed = html(filter_test(web, FILTER, {"order": {"total": 80, "status": "new"}}))
    assert "Not matched" in missed
    assert re.search(r"80</code></td>\s*<td[^>]*><span[^>]*>no<", missed)
    assert "&#34;new&#34;" in missed  # the actual value, as JSON

    everything = html(filter_test(web, "", {"any": 1}))
    assert "Matched" in everything and "No filter" in everything


def test_filter_tester_reports_bad_input_with_422(web):
    cases = {
        "filter not JSON": ('{"path": "a", "op":', {"a": 1}, "The filter is not valid JSON"),
        "filter not an object": ("[1, 2]", {"a": 1}, "The filter must be a JSON object."),
        "invalid filter": ({"path": "a", "op": "like", "value": 1}, {"a": 1}, "like"),
        "sample not JSON": (FILTER, "{nope", "The sample payload is not valid JSON"),
        "no sample": (FILTER, "  ", "Enter a sample event payload"),
        "NaN": (FILTER, '{"a": NaN}', "NaN is not JSON"),
        "too deep": (FILTER, "[" * 100_000 + "]" * 100_000, "too large"),
        "deep but small": (FILTER, "[" * 5000 + "]" * 5000, "nested too deeply"),
    }
    for name, (event_filter, sample, message) in cases.items():
        response = filter_test(web, event_filter, sample)
        assert response.status_code == 422, name
        body = html(response)
        assert 'id="jsscripts-filter-result"' in body, name  # a fragment ui.js swaps in
        assert "jsscripts-errors" in body and message in body, (name, body)


def test_filter_tester_permissions_and_form_panel(web):
    sample = {"order": {"total": 500, "status": "paid"}}
    for perms in ("scripts.create", "scripts.update"):
        assert filter_test(web, FILTER, sample, perms=perms).status_code == 200, perms
    for perms in ("scripts.read", "scripts.read,scripts.execute,scripts.delete", ""):
        assert filter_test(web, FILTER, sample, perms=perms).status_code == 403, perms
    assert filter_test(web, FILTER, sample).status_code == 200
    # the panel on the new and edit pages: posts the filter field and the sample, via htmx
    for url in ("/scripts/new", f"/scripts/{web.acme.dl_script_id}/edit"):
        body = html(web.client.get(url))
        assert "Test the filter" in body
        assert 'hx-post="/scripts/filter-test"' in body
        assert "hx-include=\"[name='event_filter'],[name='filter_sample']\"" in body
        assert 'id="jsscripts-filter-result"' in body
        assert_labelled(body)
    # the sample does not disturb saving the form
    response = web.client.post(
        "/scripts/new",
        {
            "name": "with-sample",
            "type": "event",
            "status": "draft",
            "timezone": "UTC",
            "http_auth": "session",
            "event_types": "order.created",
            "event_filter": json.dumps(FILTER),
            "filter_sample": json.dumps(sample),
            "source": "function main(ctx) { return 1 }",
        },
    )
    assert response.status_code == 303, html(response)
    assert web.count(Script, "acme") == 3


def test_pages_render_in_russian_and_uzbek(app_factory, rt):
    from flask import request
    from flask_babel import Babel

    from flask_jsscripts import i18n

    i18n.domain.cache_clear()
    try:
        web = make_web(app_factory, rt)
        seed_dead_letters(web)
        Babel(web.app, locale_selector=lambda: request.headers.get("X-Locale", "en"))
        a = web.acme
        expected = {
            "ru": ("Недоставленные события", "Повторить", "2 недоставленных события"),
            "uz": ("Yetkazilmagan hodisalar", "Qayta yuborish", "2 ta yetkazilmagan hodisa"),
        }
        for locale, needles in expected.items():
            body = html(web.client.get("/scripts/dead-letters", headers={"X-Locale": locale}))
            for needle in needles:
                assert needle in body, (locale, needle)
            detail = web.client.get(
                f"/scripts/dead-letters/{a.dead_letter_id}", headers={"X-Locale": locale}
            )
            assert detail.status_code == 200
    finally:
        i18n.domain.cache_clear()


def test_errors_of_the_fixture_are_shown_verbatim(web):
    body = html(web.client.get(f"/scripts/dead-letters/{web.acme.dead_letter_id}"))
    assert ERROR["name"] in body and "line 3, column 22" in body
