"""Requests through the guarded sdk.http client to this machine's own addresses.

Started by tests/runtime/test_http_ssrf.py inside a fresh network namespace whose interfaces were
given public-looking addresses (``ip addr add``). A dual-stack HTTP server listens on every
address (``::``, IPv4 included), the way a service bound to ``0.0.0.0`` does, and records every
connection it accepts; an audit hook records every ``socket.connect`` of this process.

    python tests/ssrf_own_probe.py CASES.json   -> one JSON report on stdout

CASES.json: {"names": {name: [addresses]}, "cases": [{"url", "config"}], "reach": [addresses]}
``{port}`` in a URL is the server's port. Configs: ``strict`` (defaults), ``allowed`` (the name
``own.allowed.test`` allow-listed as private) and ``unknown`` (the machine's addresses cannot be
read: the guard must refuse). After the cases the probe connects to each address of ``reach``
itself, with a plain socket, to prove that the server does answer there.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loopback_server import LoopbackServer  # noqa: E402

from flask_jsscripts.capabilities.http import GuardedHttpClient, HttpSettings  # noqa: E402
from flask_jsscripts.capabilities.local_addresses import read_local_addresses  # noqa: E402
from flask_jsscripts.runtime import HostCallError  # noqa: E402

CONNECTS: list[dict] = []


def audit(event: str, args: tuple) -> None:
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple):  # not the netlink socket
            CONNECTS.append({"host": str(address[0]), "port": address[1]})


def cannot_read() -> frozenset:
    raise OSError("no rtnetlink here")


CONFIGS = {
    "strict": (HttpSettings(timeout=5), None),
    "allowed": (HttpSettings(timeout=5, allow_private_hosts=("own.allowed.test",)), None),
    "unknown": (HttpSettings(timeout=5), cannot_read),
}


def main() -> None:
    corpus = json.loads(Path(sys.argv[1]).read_text())
    names = corpus["names"]
    sys.addaudithook(audit)
    results = []
    with LoopbackServer(host="::") as server:
        for case in corpus["cases"]:
            url = case["url"].replace("{port}", str(server.port))
            settings, own = CONFIGS[case["config"]]
            injected = {} if own is None else {"own_addresses": own}
            client = GuardedHttpClient(
                settings, resolver=lambda host, port: names[host], **injected
            )
            mark, accepted = len(CONNECTS), len(server.accepted)
            entry = {"url": url, "config": case["config"]}
            try:
                answer = client.request("GET", url)
                entry.update(code="OK", status=answer["status"])
            except HostCallError as exc:
                entry.update(code=exc.code, reason=getattr(exc, "reason", None))
            entry["connects"] = CONNECTS[mark:]
            entry["accepted"] = server.accepted[accepted:]
            results.append(entry)
        reached = {}
        for address in corpus["reach"]:
            before = len(server.accepted)
            with socket.create_connection((address, server.port), timeout=5):
                pass
            deadline = time.monotonic() + 5  # the server accepts in a thread of its own
            while len(server.accepted) == before and time.monotonic() < deadline:
                time.sleep(0.01)
            reached[address] = server.accepted[before:]
    report = {
        "results": results,
        "reached": reached,
        "local_addresses": sorted(map(str, read_local_addresses())),
        "port": server.port,
    }
    sys.stdout.write(json.dumps(report))


if __name__ == "__main__":
    main()
