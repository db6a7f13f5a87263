"""A small real HTTP server on a loopback address, for the sdk.http tests and the SSRF probe.

Routes (GET and every other method):
  /echo                   JSON {method, path, query, headers, body} of the request
  /json                   {"ok": true, "n": 1} as application/json
  /text                   plain text
  /badjson                invalid JSON labelled application/json
  /status/<code>          that status with a JSON body
  /bytes/<n>              n bytes with a Content-Length
  /stream/<n>             n bytes, no Content-Length (read until the server closes)
  /sleep/<seconds>        answers after sleeping
  /drip/<seconds>         sends its headers, then one body byte every 0.05 s for that long
  /redirect?to=URL&code=302   a redirect to URL
  /chain/<n>              n redirects in a row, then /json
  /charset?cs=LABEL&body=TEXT&repeat=K&codec=CODEC&type=MIME&size=N
                          TEXT repeated K times, encoded in CODEC (default: LABEL), or N random
                          bytes, labelled ``MIME; charset=LABEL`` (MIME: text/plain)
Every request is recorded in ``server.requests`` (method, path, headers, body), and the peer
address of every accepted connection in ``server.accepted``. ``host="::"`` listens on every
IPv4 and IPv6 address of the machine (dual stack).
"""

from __future__ import annotations

import json
import random
import socket
import socketserver
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LoopbackServer

    def log_message(self, *args) -> None:  # quiet
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        record = {
            "method": self.command,
            "path": url.path,
            "query": parse_qs(url.query, keep_blank_values=True),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
        }
        self.server.requests.append(record)
        parts = url.path.strip("/").split("/")
        route, arg = parts[0], (parts[1] if len(parts) > 1 else "")
        if route == "echo":
            return self._send(200, json.dumps(record).encode(), "application/json")
        if route == "json":
            return self._send(200, b'{"ok": true, "n": 1}', "application/json; charset=utf-8")
        if route == "text":
            return self._send(200, "plain text, é".encode(), "text/plain; charset=utf-8")
        if route == "badjson":
            return self._send(200, b"{not json", "application/json")
        if route == "status":
            return self._send(
                int(arg), json.dumps({"status": int(arg)}).encode(), "application/json"
            )
        if route == "bytes":
            return self._send(200, b"x" * int(arg), "application/octet-stream")
        if route == "stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"y" * int(arg))
            self.close_connection = True
            return None
        if route == "sleep":
            time.sleep(float(arg))
            return self._send(200, b"late", "text/plain")
        if route == "drip":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Connection", "close")
            self.end_headers()
            end = time.monotonic() + float(arg)
            try:
                while time.monotonic() < end:
                    self.wfile.write(b".")
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                pass
            self.close_connection = True
            return None
        if route == "redirect":
            query = parse_qs(url.query)
            code = int(query.get("code", ["302"])[0])
            return self._redirect(code, query["to"][0])
        if route == "chain":
            n = int(arg)
            return self._redirect(302, f"/chain/{n - 1}" if n > 1 else "/json")
        if route == "charset":
            query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            label = query["cs"]
            if "size" in query:  # the same bytes every time: a benchmark compares runs
                payload = random.Random(int(query["size"])).randbytes(int(query["size"]))
            else:
                text = query.get("body", "") * int(query.get("repeat", "1"))
                payload = text.encode(query.get("codec", label))
            mime = query.get("type", "text/plain")
            return self._send(200, payload, f"{mime}; charset={label}")
        return self._send(404, b'{"error": "not found"}', "application/json")

    def _redirect(self, code: int, location: str) -> None:
        self.send_response(code)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Test", "yes")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", ssl_context: ssl.SSLContext | None = None):
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, 0), _Handler)
        self.requests: list[dict] = []
        self.accepted: list[str] = []
        self.ssl_context = ssl_context
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def server_bind(self) -> None:
        if self.address_family == socket.AF_INET6:  # IPv4 too, as ::ffff:a.b.c.d
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        socketserver.TCPServer.server_bind(self)  # HTTPServer's would look up a host name
        self.server_name, self.server_port = "localhost", self.server_address[1]

    def get_request(self):
        sock, addr = super().get_request()
        self.accepted.append(str(addr[0]))
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(sock, server_side=True)
        return sock, addr

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
