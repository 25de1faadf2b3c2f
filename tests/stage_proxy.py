"""API Gateway's stage path in front of the local API: `http://127.0.0.1:PORT/<stage>/<path>` is
forwarded as `/<path>`, the way a deployed stage (`https://…/api/`) reaches the functions; a path
outside the stage is 403 `{"message": "Forbidden"}` as API Gateway answers it. The pages must work
behind it: every path they call is relative to the page."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class StagePrefix:
    def __init__(self, upstream_port: int, stage: str = "api") -> None:
        self.stage = stage
        self.outside: list[str] = []  # paths that missed the stage: a page that calls one is broken
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                prefix = f"/{proxy.stage}/"
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                if not self.path.startswith(prefix):
                    proxy.outside.append(self.path)
                    return self._answer(403, [("Content-Type", "application/json")], b'{"message":"Forbidden"}')
                upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                    upstream.request(self.command, self.path[len(prefix) - 1:], body=body or None, headers=headers)
                    response = upstream.getresponse()
                    self._answer(response.status, response.getheaders(), response.read())
                finally:
                    upstream.close()

            def _answer(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in _HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _forward

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        """The stage's root, with its slash: what API Gateway's EndpointURL names."""
        return f"http://127.0.0.1:{self._server.server_port}/{self.stage}/"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
