"""Runs a corpus of URLs through the guarded sdk.http client and reports what happened.

Started by tests/runtime/test_http_ssrf.py inside a fresh network namespace (``unshare -n``, only
``lo`` up), so even a guard failure could not reach another machine. Every ``socket.connect``
and ``socket.getaddrinfo`` of this process is recorded with an audit hook, and the test checks
that all connections went to loopback only.

    python tests/ssrf_probe.py CORPUS.json   -> one JSON report on stdout

CORPUS.json: {"names": {name: [[addresses of the 1st lookup], [2nd], ...]},
              "configs": {config name: {HttpSettings fields}},
              "cases": [{"url": ..., "config": ...}]}
``{server}`` in a URL (redirect targets included) is the loopback server's base URL and
``{port}`` its port. The resolver answers only the names it was given: no real DNS.
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loopback_server import LoopbackServer  # noqa: E402

from flask_jsscripts import metrics  # noqa: E402
from flask_jsscripts.capabilities.http import GuardedHttpClient, HttpSettings  # noqa: E402
from flask_jsscripts.runtime import HostCallError  # noqa: E402

EVENTS: list[dict] = []


def audit(event: str, args: tuple) -> None:
    if event == "socket.connect":
        address = args[1]
        EVENTS.append({"event": "connect", "host": str(address[0]), "port": address[1]})
    elif event == "socket.getaddrinfo":
        EVENTS.append({"event": "getaddrinfo", "host": str(args[0])})


class TableResolver:
    """Names -> addresses from the corpus; each lookup takes the next answer (the last one
    repeats), so a name can change its answer between lookups. Unknown names fail."""

    def __init__(self, names: dict[str, list[list[str]]]):
        self.names = names
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answers = self.names.get(host)
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, "unknown name")
        seen = self.calls.count(host)
        return answers[min(seen, len(answers)) - 1]


def blocked_total() -> float:
    total = 0.0
    for metric in metrics.SSRF_BLOCKED.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total"):
                total += sample.value
    return total


def main() -> None:
    corpus = json.loads(Path(sys.argv[1]).read_text())
    sys.addaudithook(audit)
    resolver = TableResolver(corpus["names"])
    results = []
    with LoopbackServer() as server:
        before = blocked_total()
        for case in corpus["cases"]:
            url = case["url"].replace("{server}", server.url).replace("{port}", str(server.port))
            if "redirect_to" in case:
                to = case["redirect_to"].replace("{server}", server.url)
                to = to.replace("{port}", str(server.port))
                code = case.get("code", 302)
                url = f"{server.url}/redirect?code={code}&to={quote(to, safe='')}"
            settings = HttpSettings(**corpus["configs"][case["config"]])
            client = GuardedHttpClient(settings, resolver=resolver, context={"tenant": "probe"})
            mark = len(EVENTS)
            served = len(server.requests)
            entry = {"url": url, "config": case["config"]}
            try:
                answer = client.request(case.get("method", "GET"), url, None)
                entry.update(code="OK", status=answer["status"], body=answer["body"])
            except HostCallError as exc:
                entry.update(
                    code=exc.code, reason=getattr(exc, "reason", None), message=exc.message
                )
            entry["events"] = EVENTS[mark:]
            entry["served"] = [r["path"] for r in server.requests[served:]]
            results.append(entry)
        blocked = blocked_total() - before
    report = {
        "results": results,
        "events": EVENTS,
        "resolver_calls": resolver.calls,
        "metric_blocked": blocked,
        "server_port": server.port,
    }
    sys.stdout.write(json.dumps(report))


if __name__ == "__main__":
    main()
