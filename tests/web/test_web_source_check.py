"""The editor's as-you-type check: the save's compiler, answered as JSON, permission-checked and
CSRF-protected."""

from __future__ import annotations

import re


def check(web, source, perms="scripts.read,scripts.update", csrf="form"):
    return web.client.post("/scripts/source-check", {"source": source}, perms=perms, csrf=csrf)


def test_a_draft_is_judged_like_a_save(web):
    fine = check(web, "class A { #n = 1; get n() { return this.#n } }\nfunction main() {}")
    assert fine.status_code == 200 and fine.get_json() == {"ok": True}

    broken = check(web, "function main() {\n  return 1n;\n}")
    assert broken.status_code == 200
    assert broken.get_json() == {
        "ok": False,
        "message": "BigInt literals are not supported (line 2, column 10)",
        "line": 2,
        "column": 10,
    }
    typo = check(web, "let a = ;").get_json()
    assert typo["ok"] is False and (typo["line"], typo["column"]) == (1, 9)
    empty = check(web, "   ").get_json()
    assert empty == {"ok": False, "message": "the script is empty", "line": None, "column": None}
    big = check(web, "x" * (web.app.config["JSSCRIPTS_MAX_SOURCE_BYTES"] + 1)).get_json()
    assert big["ok"] is False and "the limit is" in big["message"]


def test_only_authors_may_check_and_only_with_a_token(web):
    for perms in ("scripts.create", "scripts.update"):
        assert check(web, "var a = 1;", perms=perms).status_code == 200, perms
    for perms in ("scripts.read", "scripts.read,scripts.execute,scripts.delete", ""):
        assert check(web, "var a = 1;", perms=perms).status_code == 403, perms
    for csrf in ("none", "bad"):
        assert check(web, "var a = 1;", csrf=csrf).status_code == 400, csrf


def test_the_editor_is_told_where_to_ask(web):
    for url in ("/scripts/new", f"/scripts/{web.acme.script_id}/edit"):
        body = web.client.get(url).get_data(as_text=True)
        assert re.search(r'data-check-url="/scripts/source-check"', body), url
