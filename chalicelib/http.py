"""The HTTP adapter: Chalice responses, the contract's error shape, one log line per request."""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from chalice import Response

from chalicelib import logs
from chalicelib.config import ConfigurationError
from chalicelib.records import ConcurrentUpdate, StorageUnavailable
from chalicelib.rejection import Rejection, message_for, preferred_language, status_for

log = logging.getLogger("service.http")
RETRY_AFTER_SECONDS = "2"
JSON_TYPES = ["application/json", "text/plain", "application/octet-stream",
              "application/x-www-form-urlencoded", "multipart/form-data"]
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={"Content-Type": "application/json; charset=utf-8", **_SECURITY_HEADERS, **(headers or {})},
    )


def error_response(code: str, language: str) -> Response:
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if code == "unavailable" else {}
    return json_response(status_for(code), {"error": code, "message": message_for(code, language)}, headers)


def handled(app: Any, action: str) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Wrap a route: contract errors for every refusal, 503 for storage trouble, never a 500,
    and one structured log line with the decision and duration."""

    def decorate(route: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(route)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            request = app.current_request
            started = time.perf_counter()
            language = preferred_language((request.headers or {}).get("accept-language"))
            fields: dict[str, Any] = {"action": action, "request_id": _request_id(request)}
            try:
                response = route(*args, **kwargs)
                fields["decision"] = "ok"
            except Rejection as rejection:
                response = error_response(rejection.code, language)
                fields.update(decision="rejected", code=rejection.code, detail=rejection.detail)
            except (StorageUnavailable, ConcurrentUpdate) as error:
                response = error_response("unavailable", language)
                fields.update(decision="unavailable", code="unavailable", detail=str(error))
            except ConfigurationError as error:
                response = error_response("unavailable", language)
                fields.update(decision="misconfigured", code="unavailable", detail=str(error))
            except Exception as error:  # the last line of defence: log loudly, answer 503, never 500
                log.exception("unexpected_error")
                response = error_response("unavailable", language)
                fields.update(decision="error", code="unavailable", detail=type(error).__name__)
            fields["status"] = response.status_code
            fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
            level = logging.ERROR if fields["decision"] in ("error", "misconfigured") else logging.INFO
            logs.event(log, "request", level, **fields)
            return response

        return wrapper

    return decorate


def _request_id(request: Any) -> str:
    context = getattr(request, "context", None) or {}
    return str(context.get("requestId", ""))[:64]


def body_of(request: Any) -> bytes:
    body = request.raw_body
    return body if isinstance(body, bytes) else (body or "").encode()
