"""An HTTP proxy in front of the local DynamoDB server that injects faults per operation:
throttling, 5xx, a slow answer, a dropped connection, or a write whose answer is lost."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

THROTTLE = "throttle"
SERVER_ERROR = "server_error"
SLOW = "slow"
DROP = "drop"
LOSE_RESPONSE = "lose_response"  # forwarded and applied, but the client never hears back


class FaultProxy:
    def __init__(self, upstream: str, slow_seconds: float = 2.0) -> None:
        target = urlsplit(upstream)
        self.upstream = (target.hostname, target.port)
        self.slow_seconds = slow_seconds
        self.faults: dict[str, list[str | None]] = defaultdict(list)
        self.always: dict[str, str] = {}
        self._then: dict[str, str] = {}
        self.calls: list[str] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
                fault = proxy._next_fault(operation)
                if fault == THROTTLE:
                    return self._answer(400, {"__type": "com.amazonaws.dynamodb.v20120810#"
                                              "ProvisionedThroughputExceededException", "message": "injected"})
                if fault == SERVER_ERROR:
                    return self._answer(500, {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                                              "message": "injected"})
                if fault == SLOW:
                    time.sleep(proxy.slow_seconds)
                if fault == DROP:
                    self.close_connection = True
                    return None
                status, headers, answer = proxy._forward(self.headers, body)
                if fault == LOSE_RESPONSE:
                    self.close_connection = True
                    return None
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                return None

            def _answer(self, status: int, document: dict) -> None:
                data = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def inject(self, operation: str, fault: str, times: int = 1) -> None:
        with self._lock:
            self.faults[operation].extend([fault] * times)

    def fail_after(self, operation: str, fault: str, passes: int) -> None:
        """Let `passes` calls of `operation` through, then fail every later one."""
        with self._lock:
            self.faults[operation].extend([None] * passes)
            self._then[operation] = fault

    def always_fail(self, operation: str, fault: str) -> None:
        with self._lock:
            self.always[operation] = fault

    def heal(self) -> None:
        with self._lock:
            self.faults.clear()
            self.always.clear()
            self._then.clear()

    def _next_fault(self, operation: str) -> str | None:
        with self._lock:
            self.calls.append(operation)
            if operation in self.always:
                return self.always[operation]
            queue = self.faults.get(operation)
            if queue:
                return queue.pop(0)
            return self._then.get(operation)

    def _forward(self, headers: object, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            forwarded = {k: v for k, v in headers.items() if k.lower() not in ("connection", "keep-alive")}
            connection.request("POST", "/", body=body, headers=forwarded)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
