"""sdk.http and its SSRF guard.

1. A corpus of hostile URLs, run by tests/ssrf_probe.py inside a fresh network namespace
   (``unshare -n``) with every socket connect recorded: all refused with SSRF_BLOCKED, and no
   connection ever went anywhere but loopback. Then the machine's own addresses
   (tests/ssrf_own_probe.py): a namespace whose interfaces carry public-looking addresses and a
   server listening on all of them; requests to them are refused before any connection.
2. Allowed requests against a real HTTP server on 127.0.0.1 (allowed by configuration).
3. End to end: scripts in the real sandbox calling sdk.http through the broker.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import shutil
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from data_fixtures import app_factory  # noqa: F401 - fixture
from loopback_server import LoopbackServer
from prometheus_client import REGISTRY

from flask_jsscripts.capabilities.http import (
    GuardedHttpClient,
    HttpSettings,
    address_block_reason,
    parse_url,
)
from flask_jsscripts.runtime import HostCallError, Limits
from flask_jsscripts.services import executions, scripts
from flask_jsscripts.services.broker import ScriptBroker
from flask_jsscripts.services.validation import ScriptInput

TESTS = Path(__file__).resolve().parents[1]

# -- 1. the hostile corpus, in a network namespace ------------------------------------------
NAMES = {
    "localhost": [["127.0.0.1", "::1"]],
    "internal.test": [["10.1.2.3"]],
    "metadata.test": [["169.254.169.254"]],
    "v6private.test": [["fd12:3456::1"]],
    "linklocal6.test": [["fe80::1%lo"]],
    "cgnat.test": [["100.64.1.1"]],
    "mixed.test": [["93.184.215.14", "10.0.0.5"]],  # one public, one private: refused
    "mixed6.test": [["2606:4700::1111", "::1"]],
    "mapped.test": [["::ffff:127.0.0.1"]],
    "127.0.0.1.nip.test": [["127.0.0.1"]],
    "other.public.test": [["93.184.215.14"]],
    "good.test": [["93.184.215.14"]],
    "rebind.test": [["127.0.0.1"], ["169.254.169.254"]],  # answers change between lookups
    "wireserver.test": [["168.63.129.16"]],
}
CONFIGS = {
    "strict": {"timeout": 5},
    "lo": {"timeout": 5, "allow_private_hosts": ["127.0.0.1"]},
    "allowlist": {"timeout": 5, "allowed_hosts": ["api.public.test"]},
    "rebind": {"timeout": 5, "allow_private_hosts": ["rebind.test"]},
    "wire": {"timeout": 5, "allow_private_hosts": ["wireserver.test", "168.63.129.16"]},
}
# (url, config, expected reason). "lo" allows 127.0.0.1 spelled plainly, so the odd spellings
# of it below prove that they are refused as loopback rather than matched to the allow-list.
DIRECT = [
    ("http://127.0.0.1/", "strict", "loopback"),
    ("{server}/json", "strict", "loopback"),  # the live server itself
    ("http://127.255.255.254:8080/", "strict", "loopback"),
    ("HTTP://127.0.0.1/", "strict", "loopback"),
    ("http://[::1]/", "strict", "loopback"),
    ("http://[0:0:0:0:0:0:0:1]:{port}/", "lo", "loopback"),
    ("http://10.0.0.1/", "strict", "private"),
    ("http://172.16.0.1/", "strict", "private"),
    ("http://192.168.1.1/", "strict", "private"),
    ("http://169.254.169.254/latest/meta-data/", "lo", "metadata"),
    ("http://[fd00:ec2::254]/", "strict", "metadata"),
    ("http://169.254.1.1/", "strict", "link_local"),
    ("http://[fe80::1]/", "strict", "link_local"),
    ("http://[fc00::1]/", "strict", "unique_local"),
    ("http://0.0.0.0:{port}/", "lo", "unspecified"),
    ("http://[::]/", "strict", "unspecified"),
    ("http://100.64.0.1/", "strict", "shared"),
    ("http://198.18.0.1/", "strict", "benchmark"),
    ("http://224.0.0.1/", "strict", "multicast"),
    ("http://[ff02::1]/", "strict", "multicast"),
    ("http://255.255.255.255/", "strict", "broadcast"),
    ("http://240.0.0.1/", "strict", "reserved"),
    ("http://192.0.2.1/", "strict", "reserved"),
    # numeric spellings (the C library reads them all as 127.0.0.1)
    ("http://2130706433:{port}/", "lo", "loopback"),
    ("http://0x7f000001:{port}/", "lo", "loopback"),
    ("http://0x7f.1:{port}/", "lo", "loopback"),
    ("http://0177.0.0.1:{port}/", "lo", "loopback"),
    ("http://017700000001:{port}/", "lo", "loopback"),
    ("http://127.1:{port}/", "lo", "loopback"),
    ("http://127.0.0.1.:{port}/", "lo", "loopback"),
    ("http://\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11:{port}/", "lo", "loopback"),
    ("http://0/", "strict", "unspecified"),
    ("http://0xa9fea9fe/", "strict", "metadata"),
    # metadata services and host agents of the clouds, some outside every private range
    ("http://168.63.129.16/machine?comp=goalstate", "strict", "metadata"),  # Azure WireServer
    ("http://168.63.129.16:32526/vmSettings", "wire", "metadata"),  # even when allow-listed
    ("http://wireserver.test/", "wire", "metadata"),
    ("http://2822734096/", "strict", "metadata"),  # 168.63.129.16 as one number
    ("http://[::ffff:168.63.129.16]/", "strict", "metadata"),
    ("http://[64:ff9b::a83f:8110]/", "strict", "metadata"),  # NAT64 of the WireServer
    ("http://169.254.170.23/v1/credentials", "strict", "metadata"),  # EKS Pod Identity
    ("http://[fd00:ec2::23]/v1/credentials", "strict", "metadata"),
    ("http://[fd20:ce::254]/computeMetadata/v1/", "strict", "metadata"),  # GCP over IPv6
    ("http://[fd00:c1::a9fe:a9fe]/opc/v2/instance/", "strict", "metadata"),  # Oracle, IPv6
    ("http://169.254.42.42/conf", "strict", "metadata"),  # Scaleway
    ("http://[fd00:42::42]/conf", "strict", "metadata"),
    ("http://[fd00:a9fe:a9fe::1]/v1/instance", "strict", "metadata"),  # Akamai / Linode
    ("http://169.254.0.23/", "strict", "metadata"),  # Tencent Cloud
    # IPv6 forms of IPv4 addresses
    ("http://[::ffff:127.0.0.1]:{port}/", "lo", "loopback"),
    ("http://[::ffff:7f00:1]:{port}/", "lo", "loopback"),
    ("http://[::127.0.0.1]:{port}/", "lo", "loopback"),
    ("http://[::ffff:169.254.169.254]/", "strict", "metadata"),
    ("http://[::ffff:10.0.0.1]/", "strict", "private"),
    ("http://[64:ff9b::a00:1]/", "strict", "private"),  # NAT64 of 10.0.0.1
    ("http://[2002:7f00:1::]/", "strict", "loopback"),  # 6to4 of 127.0.0.1
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "strict", "reserved"),  # Teredo
    # parser tricks
    ("http://evil@127.0.0.1:{port}/", "lo", "userinfo"),
    ("http://good.test@169.254.169.254/", "strict", "userinfo"),
    ("http://good.test:80@10.0.0.1/", "strict", "userinfo"),
    ("http://127.0.0.1#@good.test/", "strict", "loopback"),
    ("http://169.254.169.254?@good.test/", "strict", "metadata"),
    ("http://good.test\\@127.0.0.1/", "strict", "bad_url"),
    ("http://127.0.0.1\\@good.test/", "strict", "bad_url"),
    ("http://127.0.0.1\t/", "strict", "bad_url"),
    ("http://good.test\n.127.0.0.1/", "strict", "bad_url"),
    ("http://%31%32%37.0.0.1/", "strict", "bad_host"),
    ("http://[fe80::1%25lo]/", "strict", "bad_host"),
    ("http://1.2.3.4.5/", "strict", "bad_host"),
    ("http://127.0.0.1:22/", "lo", "port"),
    ("http://good.test:25/", "strict", "port"),
    ("file:///etc/passwd", "strict", "scheme"),
    ("gopher://127.0.0.1:6379/_INFO", "strict", "scheme"),
    ("ftp://good.test/", "strict", "scheme"),
    ("javascript:alert(1)", "strict", "scheme"),
    # names the (test) resolver maps to forbidden addresses
    ("http://localhost:{port}/", "lo", "loopback"),
    ("http://LOCALHOST./", "strict", "loopback"),
    ("http://internal.test/", "strict", "private"),
    ("http://metadata.test/", "lo", "metadata"),
    ("http://v6private.test/", "strict", "unique_local"),
    ("http://linklocal6.test/", "strict", "link_local"),
    ("http://cgnat.test/", "strict", "shared"),
    ("http://mixed.test/", "strict", "private"),
    ("http://mixed6.test/", "strict", "loopback"),
    ("http://mapped.test/", "strict", "loopback"),
    ("http://127.0.0.1.nip.test/", "strict", "loopback"),
    ("http://other.public.test/", "allowlist", "host_not_allowed"),
]
# Redirects from the allowed loopback server (config "lo") to forbidden targets.
REDIRECTS = [
    ("http://169.254.169.254/latest/meta-data/", 302, "metadata"),
    ("http://10.0.0.1/", 301, "private"),
    ("http://[::1]:{port}/json", 302, "loopback"),
    ("http://localhost:{port}/json", 307, "loopback"),
    ("http://internal.test/", 308, "private"),
    ("http://mixed.test/", 303, "private"),
    ("http://2130706433:{port}/json", 302, "loopback"),
    ("http://0.0.0.0:{port}/json", 307, "unspecified"),
    ("http://[::ffff:169.254.169.254]/", 302, "metadata"),
    ("//169.254.169.254/x", 302, "metadata"),  # scheme-relative
    ("file:///etc/passwd", 302, "scheme"),
    ("gopher://127.0.0.1:{port}/_x", 302, "scheme"),
    ("http://evil@127.0.0.1:{port}/json", 302, "userinfo"),
    ("http://127.0.0.1:22/", 302, "port"),
    ("{server}/redirect?to=http%3A%2F%2F169.254.169.254%2F", 302, "metadata"),  # 2 hops
]


def _corpus() -> dict:
    cases = [{"url": url, "config": config, "expect": reason} for url, config, reason in DIRECT]
    cases += [
        {"url": "", "redirect_to": to, "code": code, "config": "lo", "expect": reason}
        for to, code, reason in REDIRECTS
    ]
    controls = [
        {"url": "{server}/json", "config": "lo", "expect": "OK"},  # the harness can connect
        {"url": "http://rebind.test:{port}/json", "config": "rebind", "expect": "OK"},
        {"url": "http://rebind.test:{port}/json", "config": "rebind", "expect": "metadata"},
    ]
    return {"names": NAMES, "configs": CONFIGS, "cases": cases + controls}


def _run_probe(tmp_path: Path) -> dict:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.fail("the SSRF corpus needs `unshare` and `ip` (util-linux, iproute2)")
    corpus = tmp_path / "corpus.json"
    corpus.write_text(json.dumps(_corpus()))
    proc = subprocess.run(
        [
            "unshare",
            "-n",
            "sh",
            "-c",
            'ip link set lo up && exec "$0" "$@"',
            sys.executable,
            str(TESTS / "ssrf_probe.py"),
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=TESTS.parent,
    )
    if proc.returncode != 0:
        pytest.fail(
            "the SSRF probe did not run in a fresh network namespace "
            f"(`unshare -n` needs root or user namespaces): exit {proc.returncode}\n"
            f"{proc.stderr[-3000:]}"
        )
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> dict:
    return _run_probe(tmp_path_factory.mktemp("ssrf"))


def test_corpus_is_big_enough():
    hostile = [c for c in _corpus()["cases"] if c["expect"] != "OK"]
    assert len(hostile) >= 100


def test_every_hostile_url_is_refused_with_ssrf_blocked(probe):
    expected = _corpus()["cases"]
    results = probe["results"]
    assert len(results) == len(expected)
    wrong = [
        (case.get("redirect_to") or case["url"], case["expect"], got.get("reason"), got["code"])
        for case, got in zip(expected, results, strict=True)
        if (got["code"] if case["expect"] == "OK" else got.get("reason")) != case["expect"]
        or (case["expect"] != "OK" and got["code"] != "SSRF_BLOCKED")
    ]
    assert wrong == [], wrong
    # the messages scripts see never name the address a host resolved to
    for got in results:
        if got["code"] == "SSRF_BLOCKED":
            assert "10.0.0.5" not in got["message"] and "169.254" not in got["message"]


def test_no_connection_ever_left_loopback(probe):
    port = probe["server_port"]
    connects = [e for e in probe["events"] if e["event"] == "connect"]
    assert connects, "the audit hook recorded nothing: the probe proves nothing"
    assert {(e["host"], e["port"]) for e in connects} == {("127.0.0.1", port)}
    # ... and the C library's resolver was never asked about a name (no DNS at all)
    for event in probe["events"]:
        if event["event"] == "getaddrinfo":
            ipaddress.ip_address(event["host"].split("%")[0])


def test_refused_urls_made_no_request_and_redirects_only_the_first(probe):
    for case, got in zip(_corpus()["cases"], probe["results"], strict=True):
        if case["expect"] == "OK":
            continue
        hops = 2 if case.get("redirect_to", "").startswith("{server}/redirect") else 1
        assert got["served"] == (["/redirect"] * hops if "redirect_to" in case else []), got
        assert len([e for e in got["events"] if e["event"] == "connect"]) == len(got["served"])


def test_blocks_are_counted(probe):
    blocked = sum(1 for r in probe["results"] if r["code"] == "SSRF_BLOCKED")
    assert probe["metric_blocked"] == blocked


def test_dns_answer_is_pinned_and_checked_at_every_lookup(probe):
    """rebind.test answers 127.0.0.1 (allowed for it), then 169.254.169.254: the first request
    connects to the address it checked, with one lookup; the next lookup is checked again."""
    first, second = probe["results"][-2:]
    assert first["code"] == "OK" and first["body"] == {"ok": True, "n": 1}
    assert [e for e in first["events"] if e["event"] == "connect"] == [
        {"event": "connect", "host": "127.0.0.1", "port": probe["server_port"]}
    ]
    assert second["reason"] == "metadata" and second["served"] == []
    assert probe["resolver_calls"].count("rebind.test") == 2


# -- the machine's own addresses, in a network namespace of their own ---------------------------
OWN_V4, OWN_V4_SECONDARY, OWN_V6 = "93.184.215.14", "93.184.215.99", "2606:4700:4700::1111"
WIRESERVER = "168.63.129.16"
# A veth pair when the kernel has it (an address on a real interface, not only on lo), else lo.
OWN_SETUP = f"""
set -e
ip link set lo up
if ip link add jss0 type veth peer name jss1 2>/dev/null; then
  ip link set jss1 up && ip link set jss0 up && dev=jss0
else
  dev=lo
fi
ip addr add {OWN_V4}/24 dev $dev
ip addr add {OWN_V4_SECONDARY}/24 dev $dev
ip -6 addr add {OWN_V6}/64 dev $dev nodad
ip addr add {WIRESERVER}/32 dev lo
exec "$0" "$@"
"""
OWN_NAMES = {
    "own.test": [OWN_V4],
    "own6.test": [OWN_V6],
    "partly-own.test": ["8.8.8.8", OWN_V6],  # one public answer, one of ours
    "own.allowed.test": [OWN_V4],
}
# (url, config, expected reason or "OK")
OWN_CASES = [
    (f"http://{OWN_V4}:{{port}}/json", "strict", "own_address"),
    (f"http://{OWN_V4_SECONDARY}:{{port}}/json", "strict", "own_address"),
    (f"http://[{OWN_V6}]:{{port}}/json", "strict", "own_address"),
    ("http://own.test:{port}/json", "strict", "own_address"),
    ("http://own6.test:{port}/json", "strict", "own_address"),
    ("http://partly-own.test:{port}/json", "strict", "own_address"),
    ("http://[64:ff9b::5db8:d70e]:{port}/json", "strict", "own_address"),  # NAT64 of OWN_V4
    ("http://[2002:5db8:d70e::1]:{port}/json", "strict", "own_address"),  # 6to4 of OWN_V4
    (f"http://{WIRESERVER}:{{port}}/json", "strict", "metadata"),
    ("http://8.8.8.8:{port}/json", "unknown", "own_address_unknown"),  # fails closed
    ("http://own.allowed.test:{port}/json", "allowed", "OK"),  # allow-listed: exempt
]


@pytest.fixture(scope="module")
def own_probe(tmp_path_factory) -> dict:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.fail("the own-address probe needs `unshare` and `ip` (util-linux, iproute2)")
    cases = tmp_path_factory.mktemp("own") / "cases.json"
    cases.write_text(
        json.dumps(
            {
                "names": OWN_NAMES,
                "cases": [{"url": url, "config": config} for url, config, _ in OWN_CASES],
                "reach": [OWN_V4, OWN_V4_SECONDARY, OWN_V6, WIRESERVER],
            }
        )
    )
    proc = subprocess.run(
        ["unshare", "-n", "sh", "-c", OWN_SETUP, sys.executable,
         str(TESTS / "ssrf_own_probe.py"), str(cases)],
        capture_output=True, text=True, timeout=120, cwd=TESTS.parent,
    )  # fmt: skip
    if proc.returncode != 0:
        pytest.fail(f"the own-address probe failed: exit {proc.returncode}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


def test_the_machines_own_addresses_are_refused_before_any_connection(own_probe):
    """A server bound to every address (as to 0.0.0.0) answers on the addresses the namespace's
    interfaces carry, a secondary and an IPv6 one included; the guard refuses each of them, by
    literal, by name, in NAT64 and 6to4 forms and among other answers, and nothing connects."""
    results = own_probe["results"]
    assert len(results) == len(OWN_CASES)
    for (url, config, expected), got in zip(OWN_CASES, results, strict=True):
        if expected == "OK":
            continue
        assert (got["code"], got["reason"]) == ("SSRF_BLOCKED", expected), (url, config, got)
        assert got["connects"] == [] and got["accepted"] == [], got
    # the listener does answer on every one of those addresses, and they were read as ours
    for address, accepted in own_probe["reached"].items():
        assert accepted, f"nothing answered on {address}: the test would prove nothing"
    assert {OWN_V4, OWN_V4_SECONDARY, OWN_V6, WIRESERVER} <= set(own_probe["local_addresses"])


def test_an_allow_listed_private_host_may_be_the_machine_itself(own_probe):
    allowed = own_probe["results"][-1]
    assert allowed["code"] == "OK" and allowed["status"] == 200
    assert allowed["connects"] == [{"host": OWN_V4, "port": own_probe["port"]}]
    assert allowed["accepted"] == [f"::ffff:{OWN_V4}"]


# -- the parser and the address classes, directly ---------------------------------------------
@pytest.mark.parametrize(
    ("url", "host", "port", "target", "plain"),
    [
        ("http://Example.COM./a?b=1#frag", "example.com", 80, "/a?b=1", True),
        ("https://example.com", "example.com", 443, "/", True),
        ("https://example.com:8443?x", "example.com", 8443, "/?x", True),
        ("http://[::1]:8080/p", "::1", 8080, "/p", True),
        ("http://[0::1]/", "::1", 80, "/", False),
        ("http://0x7f.1/", "127.0.0.1", 80, "/", False),
        ("http://b\u00fccher.example/\u00fc", "xn--bcher-kva.example", 80, "/%C3%BC", True),
        ("http://127.0.0.1", "127.0.0.1", 80, "/", True),
        ("http://127.0.0.1.", "127.0.0.1", 80, "/", False),
    ],
)
def test_parse_url_normalises(url, host, port, target, plain):
    parsed = parse_url(url)
    assert (parsed.host, parsed.port, parsed.target, parsed.plain) == (host, port, target, plain)


@pytest.mark.parametrize(
    "url",
    [None, 42, "", "example.com", "http:/example.com", "http://", "http://:80/", "http://a:b/",
     "http://a:99999/", "http://[::1/", "http://[nope]/", "http://a..b/", "http://::1/"],
)  # fmt: skip
def test_malformed_urls_are_bad_requests(url):
    with pytest.raises(HostCallError) as info:
        parse_url(url)
    assert info.value.code in ("BAD_REQUEST", "SSRF_BLOCKED")
    if isinstance(url, str) and url.startswith("http://") and url not in ("http://a..b/",):
        assert info.value.code == "BAD_REQUEST", url


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("64:ff9b::808:808", None),  # NAT64 of a public address
        ("2002:808:808::1", None),  # 6to4 of a public address
        ("::ffff:8.8.8.8", "reserved"),  # no reason to spell a public address this way
        ("100.100.100.200", "metadata"),
        ("192.0.0.192", "metadata"),
        ("::ffff:0:7f00:1", "loopback"),  # IPv4-translated
        ("64:ff9b:1::1", "private"),
        ("2001:db8::1", "reserved"),
        ("::2", "unspecified"),  # IPv4-compatible form of 0.0.0.2
        ("::8.8.8.8", "reserved"),  # deprecated IPv4-compatible form
        ("fec0::1", "private"),
        ("100::1", "reserved"),
        ("168.63.129.16", "metadata"),  # Azure WireServer: a public range
        ("168.63.129.17", None),
        ("fd20:ce::254", "metadata"),
        ("fd20:ce::255", "unique_local"),
        ("fd00:ec2::23", "metadata"),
        ("fd00:c1::a9fe:a9fe", "metadata"),
        ("169.254.170.23", "metadata"),
        ("169.254.170.24", "link_local"),
    ],
)
def test_address_classes(address, reason):
    assert address_block_reason(ipaddress.ip_address(address)) == reason


def test_allow_private_never_opens_metadata_or_odd_addresses():
    client = GuardedHttpClient(
        HttpSettings(allow_private_hosts=("meta.test", "zero.test")),
        resolver=lambda host, port: {"meta.test": ["169.254.169.254"], "zero.test": ["0.0.0.0"]}[
            host
        ],
    )
    for host, reason in (("meta.test", "metadata"), ("zero.test", "unspecified")):
        with pytest.raises(HostCallError) as info:
            client.request("GET", f"http://{host}:8080/")
        assert (info.value.code, info.value.reason) == ("SSRF_BLOCKED", reason)


def test_wildcard_host_patterns(server):
    resolver = _Table({"a.corp.test": ["127.0.0.1"], "corp.test": ["127.0.0.1"]})
    client = GuardedHttpClient(
        HttpSettings(timeout=5, allow_private_hosts=("*.Corp.Test.",)), resolver=resolver
    )
    assert client.request("GET", f"http://a.corp.test:{server.port}/json")["status"] == 200
    with pytest.raises(HostCallError) as info:  # the suffix itself is not covered
        client.request("GET", f"http://corp.test:{server.port}/json")
    assert (info.value.code, info.value.reason) == ("SSRF_BLOCKED", "loopback")


# -- 2. allowed requests against a local server ---------------------------------------------
class _Table:
    """A resolver from a fixed table; unknown names fail (never real DNS)."""

    def __init__(self, table: dict[str, list[str]]):
        self.table = table
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in self.table:
            import socket

            raise socket.gaierror(socket.EAI_NONAME, "unknown name")
        return self.table[host]


@pytest.fixture(scope="module")
def server():
    with LoopbackServer() as srv:
        yield srv


def make_client(**settings) -> GuardedHttpClient:
    resolver = settings.pop("resolver", _Table({"localhost": ["127.0.0.1"]}))
    fields = {"timeout": 5.0, "allow_private_hosts": ("127.0.0.1", "localhost"), **settings}
    return GuardedHttpClient(HttpSettings(**fields), resolver=resolver)


def fails(client, method, url, options=None) -> HostCallError:
    with pytest.raises(HostCallError) as info:
        client.request(method, url, options)
    return info.value


def test_get_with_query_and_headers(server):
    answer = make_client().request(
        "get",
        f"{server.url}/echo?a=1#frag",
        {"query": {"b": [2, "x y"], "c": True, "skip": None}, "headers": {"X-Token": "t1"}},
    )
    assert answer["status"] == 200
    assert answer["headers"]["x-test"] == "yes"  # lower-case names
    echo = answer["body"]
    assert echo["method"] == "GET" and echo["path"] == "/echo"
    assert echo["query"] == {"a": ["1"], "b": ["2", "x y"], "c": ["true"]}
    assert echo["headers"]["x-token"] == "t1"
    assert echo["headers"]["host"] == f"127.0.0.1:{server.port}"
    assert echo["headers"]["user-agent"] == "flask-jsscripts"


def test_post_json_put_text_patch_delete(server):
    client = make_client()
    posted = client.request("POST", f"{server.url}/echo", {"body": {"n": [1, "é"]}})["body"]
    assert posted["headers"]["content-type"] == "application/json"
    assert json.loads(posted["body"]) == {"n": [1, "é"]}
    put = client.request("PUT", f"{server.url}/echo", {"body": "raw text"})["body"]
    assert (put["method"], put["body"]) == ("PUT", "raw text")
    assert put["headers"]["content-type"].startswith("text/plain")
    patched = client.request(
        "PATCH",
        f"{server.url}/echo",
        {"body": "<a/>", "headers": {"Content-Type": "application/xml"}},
    )["body"]
    assert (patched["method"], patched["headers"]["content-type"]) == ("PATCH", "application/xml")
    assert client.request("DELETE", f"{server.url}/echo")["body"]["method"] == "DELETE"


def test_bodies_by_content_type_and_statuses_pass_through(server):
    client = make_client()
    assert client.request("GET", f"{server.url}/json")["body"] == {"ok": True, "n": 1}
    assert client.request("GET", f"{server.url}/text")["body"] == "plain text, é"
    assert client.request("GET", f"{server.url}/badjson")["body"] == "{not json"
    for status in (404, 500, 201):
        answer = client.request("GET", f"{server.url}/status/{status}")
        assert answer["status"] == status and answer["body"] == {"status": status}


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"headers": {"Host": "evil.test"}}, "Host"),
        ({"headers": {"Content-Length": "5"}}, "Content-Length"),
        ({"headers": {"Transfer-Encoding": "chunked"}}, "Transfer-Encoding"),
        ({"headers": {"Connection": "keep-alive"}}, "Connection"),
        ({"headers": {"Proxy-Foo": "1"}}, "Proxy-Foo"),
        ({"headers": {"X-A": "1\r\nHost: evil"}}, "line break"),
        ({"headers": {"Bad Name": "1"}}, "invalid header name"),
        ({"headers": {"X-A": {"nested": 1}}}, "string"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": "5"}, "timeout"),
        ({"params": {}}, "unknown option"),
        ("not an object", "options"),
        ({"query": [1]}, "query"),
    ],
)
def test_bad_options_are_bad_requests(server, options, needle):
    served = len(server.requests)
    err = fails(make_client(), "GET", f"{server.url}/echo", options)
    assert err.code == "BAD_REQUEST" and needle in err.message
    assert len(server.requests) == served  # refused before sending anything


def test_response_size_cap(server):
    client = make_client(max_response_bytes=1000)
    assert client.request("GET", f"{server.url}/bytes/1000")["body"] == "x" * 1000
    assert fails(client, "GET", f"{server.url}/bytes/1001").code == "RESPONSE_TOO_LARGE"
    assert fails(client, "GET", f"{server.url}/stream/5000").code == "RESPONSE_TOO_LARGE"


@pytest.mark.parametrize(
    ("settings_timeout", "option", "path"),
    [
        (0.5, None, "/sleep/3"),  # the server's cap
        (10, 0.5, "/sleep/3"),  # the script lowers it
        (0.5, 100, "/sleep/3"),  # ... but cannot raise it
        (0.5, None, "/drip/3"),  # a byte every 50 ms: only an overall deadline stops it
    ],
)
def test_time_cap(server, settings_timeout, option, path):
    client = make_client(timeout=settings_timeout)
    started = time.monotonic()
    err = fails(client, "GET", server.url + path, {"timeout": option})
    assert err.code == "HTTP_TIMEOUT"
    assert time.monotonic() - started < 2.5  # gave up long before the server's 3 s


def test_redirects_within_allowed_targets_are_followed(server):
    client = make_client()
    to_json = f"{server.url}/redirect?to=%2Fjson"
    assert client.request("GET", to_json)["body"] == {"ok": True, "n": 1}
    # 303 turns a POST into a GET without a body; 307 keeps both
    answer = client.request(
        "POST", f"{server.url}/redirect?code=303&to=%2Fecho", {"body": {"a": 1}}
    )
    assert (answer["body"]["method"], answer["body"]["body"]) == ("GET", "")
    answer = client.request(
        "POST", f"{server.url}/redirect?code=307&to=%2Fecho", {"body": {"a": 1}}
    )
    assert (answer["body"]["method"], json.loads(answer["body"]["body"])) == ("POST", {"a": 1})


def test_credentials_do_not_follow_a_redirect_to_another_origin(server):
    other = f"http://localhost:{server.port}/echo"
    answer = make_client().request(
        "GET",
        f"{server.url}/redirect?to={other}",
        {"headers": {"Authorization": "Bearer s3cret", "X-Keep": "1"}},
    )
    echo = answer["body"]
    assert echo["headers"]["host"] == f"localhost:{server.port}"
    assert "authorization" not in echo["headers"] and echo["headers"]["x-keep"] == "1"


def test_redirect_count_cap(server):
    client = make_client(max_redirects=3)
    assert client.request("GET", f"{server.url}/chain/3")["body"] == {"ok": True, "n": 1}
    assert fails(client, "GET", f"{server.url}/chain/4").code == "TOO_MANY_REDIRECTS"
    assert fails(make_client(max_redirects=0), "GET", f"{server.url}/chain/1").code == (
        "TOO_MANY_REDIRECTS"
    )


def test_connection_failures_are_http_errors(server):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    err = fails(make_client(), "GET", f"http://127.0.0.1:{closed_port}/")
    assert err.code == "HTTP_ERROR" and "refused" in err.message
    err = fails(make_client(allow_private_hosts=("nowhere.test",)), "GET", "http://nowhere.test/")
    assert err.code == "HTTP_ERROR" and "resolve" in err.message


def test_allow_list_restricts_hosts(server):
    client = make_client(allowed_hosts=("localhost",))
    assert client.request("GET", f"http://localhost:{server.port}/json")["status"] == 200
    err = fails(client, "GET", f"{server.url}/json")  # 127.0.0.1 is not on the list
    assert (err.code, err.reason) == ("SSRF_BLOCKED", "host_not_allowed")


def test_connection_is_pinned_to_the_checked_address(server):
    """The name's answer changes after the first lookup (127.0.0.1, then 127.0.0.2 where
    nothing listens): a request connects to what it checked, with one lookup per request."""

    class Changing:
        calls = 0

        def __call__(self, host, port):
            Changing.calls += 1
            return ["127.0.0.1"] if Changing.calls == 1 else ["127.0.0.2"]

    client = make_client(allow_private_hosts=("pinned.test",), resolver=Changing())
    served = len(server.requests)
    answer = client.request("GET", f"http://pinned.test:{server.port}/echo")
    assert Changing.calls == 1
    assert answer["body"]["headers"]["host"] == f"pinned.test:{server.port}"  # the name kept
    err = fails(client, "GET", f"http://pinned.test:{server.port}/echo")
    assert err.code == "HTTP_ERROR" and Changing.calls == 2  # went to the new answer
    assert len(server.requests) == served + 1


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.fail("the TLS test needs the openssl command")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=pinned.test",
         "-addext", "subjectAltName=DNS:pinned.test"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_https_keeps_sni_and_certificate_checks_on_the_host_name(tls_files):
    cert, key = tls_files
    seen: list[str | None] = []
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    server_ctx.sni_callback = lambda sock, name, ctx: seen.append(name)
    client_ctx = ssl.create_default_context(cafile=str(cert))
    resolver = _Table({"pinned.test": ["127.0.0.1"], "wrong.test": ["127.0.0.1"]})
    settings = HttpSettings(timeout=5, allow_private_hosts=("pinned.test", "wrong.test"))
    client = GuardedHttpClient(settings, resolver=resolver, ssl_context=client_ctx)
    with LoopbackServer(ssl_context=server_ctx) as tls:
        answer = client.request("GET", f"https://pinned.test:{tls.port}/echo")
        assert answer["body"]["headers"]["host"] == f"pinned.test:{tls.port}"
        assert seen == ["pinned.test"]
        err = fails(client, "GET", f"https://wrong.test:{tls.port}/echo")
        assert err.code == "HTTP_ERROR" and "certificate" in err.message
        assert seen[-1] == "wrong.test"  # SNI says the name; the certificate does not match it


# -- 3. end to end: scripts in the sandbox ------------------------------------------------------
@pytest.fixture
def database_url(tmp_path):
    """sdk.http touches no database: SQLite is enough here."""
    return f"sqlite:///{tmp_path / 'test.db'}"


def run_source(app, db, source, input=None):
    state = app.extensions["jsscripts"]
    saved = scripts.create_script(
        db.session,
        ScriptInput(name=f"s{time.monotonic_ns()}", source=source),
        config=app.config,
        runtime=state.runtime,
        actor="u1",
    )
    execution = executions.run_script(
        db.session, state.run_context(), saved.script.id, "manual", input
    )
    return saved.script, execution


def blocked_count(reason: str) -> float:
    return REGISTRY.get_sample_value("jsscripts_ssrf_blocked_total", {"reason": reason}) or 0.0


def test_script_calls_a_local_server(http_app, server):
    app, db = http_app
    source = """
    function main(ctx) {
      const options = {query: {b: 2}, headers: {'X-From': 's'}};
      const r = sdk.http.get(ctx.input.base + '/echo?a=1', options);
      const p = sdk.http.post(ctx.input.base + '/echo', {body: {n: 42}});
      const missing = sdk.http.get(ctx.input.base + '/status/404');
      return {status: r.status, query: r.body.query, from: r.body.headers['x-from'],
              posted: JSON.parse(p.body.body), test: r.headers['x-test'], missing: missing.status};
    }"""
    _, execution = run_source(app, db, source, {"base": server.url})
    assert execution.status == "completed", execution.error
    assert execution.output == {
        "status": 200,
        "query": {"a": ["1"], "b": ["2"]},
        "from": "s",
        "posted": {"n": 42},
        "test": "yes",
        "missing": 404,
    }


def test_script_catches_the_ssrf_error(http_app, caplog):
    app, db = http_app
    before = blocked_count("metadata")
    source = """
    function main() {
      try {
        sdk.http.get('http://169.254.169.254/latest/meta-data/iam/');
        return 'reached';
      } catch (e) {
        return {code: e.code, message: e.message, isError: e instanceof Error};
      }
    }"""
    with caplog.at_level(logging.WARNING, logger="flask_jsscripts.capabilities.http"):
        script, execution = run_source(app, db, source)
    assert execution.status == "completed", execution.error
    assert execution.output["code"] == "SSRF_BLOCKED" and execution.output["isError"] is True
    assert "169.254" not in execution.output["message"]
    assert blocked_count("metadata") == before + 1
    [record] = [r for r in caplog.records if r.name == "flask_jsscripts.capabilities.http"]
    assert record.levelno == logging.WARNING
    assert "tenant=acme" in record.getMessage() and f"script={script.id}" in record.getMessage()


def test_uncaught_ssrf_error_fails_the_run(http_app):
    app, db = http_app
    _, execution = run_source(app, db, "function main() {\n  sdk.http.get('http://[::1]/');\n}")
    assert execution.status == "failed"
    assert execution.error["code"] == "SSRF_BLOCKED" and execution.error["line"] == 2


def test_pinning_through_the_sandbox_and_broker(http_app, rt, server):
    """Through the real runtime and broker: the first call connects to the address its lookup
    gave; when the name's answer changes to the metadata address the next call is refused."""
    app, db = http_app
    answers = iter([["127.0.0.1"], ["169.254.169.254"]])
    calls: list[str] = []

    def resolver(host, port):
        calls.append(host)
        return next(answers)

    app.config["JSSCRIPTS_HTTP_ALLOW_PRIVATE_HOSTS"] = ["rebind.test"]
    broker = ScriptBroker(
        engine=db.engine,
        config=app.config,
        exposed={},
        tenant_id="acme",
        script_id="s1",
        user=None,
        http_resolver=resolver,
    )
    source = f"""
    var url = 'http://rebind.test:{server.port}/echo';
    var first = sdk.http.get(url);
    var second;
    try {{ sdk.http.get(url); second = 'reached'; }} catch (e) {{ second = e.code; }}
    [first.body.headers.host, second]
    """
    served = len(server.requests)
    result = rt.run(source, broker=broker, limits=Limits(timeout=20.0))
    assert result.status == "completed", result.error
    assert result.value == [f"rebind.test:{server.port}", "SSRF_BLOCKED"]
    assert calls == ["rebind.test", "rebind.test"]  # one lookup per request, none in between
    assert len(server.requests) == served + 1


def test_log_line_names_no_credentials_path_or_query(caplog):
    client = GuardedHttpClient(HttpSettings(), context={"tenant": "t1", "script": "s1"})
    for url in ("http://user:hunter2@10.0.0.1/p?token=abc", "http://10.0.0.1/secret?token=abc"):
        with caplog.at_level(logging.WARNING, logger="flask_jsscripts.capabilities.http"):
            err = fails(client, "GET", url)
        assert err.code == "SSRF_BLOCKED"
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "10.0.0.1" in text and "tenant=t1 script=s1" in text
    for secret in ("hunter2", "user:", "token", "abc", "secret"):
        assert secret not in text
