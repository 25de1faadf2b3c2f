"""The HTTP adapter: Chalice responses with the security headers (the one place they are set), the
contract's error shape, the caller's language, and each route's error boundary (`handled`)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

from chalice import Response

from chalicelib.adapters import telemetry
from chalicelib.settings import ConfigurationError
from chalicelib.verify import trace
from chalicelib.verify.policy import REVOCATION
from chalicelib.voting.languages import DEFAULT_LANGUAGE, LANGUAGES
from chalicelib.voting.records import ConcurrentUpdate, StorageUnavailable
from chalicelib.voting.rejection import Rejection, message_for, status_for

RETRY_AFTER_SECONDS = "2"
# Every route takes any Content-Type: the service reads the body as bytes and judges it itself, so
# a lying or missing Content-Type gets the contract's answer (`malformed_request` if the body does
# not parse), never Chalice's own 415 with a body of its own, and a stray one on a GET is ignored.
ANY_TYPE = ["*/*"]

# Every answer: no MIME sniffing, no referrer leaving the site, and HTTPS only for two years
# (API Gateway serves HTTPS only; browsers ignore the header over the local stack's plain HTTP).
HSTS = "max-age=63072000"
EVERY_ANSWER = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                 "Strict-Transport-Security": HSTS}
# Pages besides: never framed, their own browsing context, no device APIs.
_PAGES = {
    **EVERY_ANSWER,
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
NO_STORE = "no-store"


def _response(body: str, status: int, content_type: str, cache: str, base: Mapping[str, str],
              headers: Mapping[str, str] | None = None) -> Response:
    return Response(body=body, status_code=status,
                    headers={"Content-Type": content_type, "Cache-Control": cache, **base, **(headers or {})})


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return _response(json.dumps(body, ensure_ascii=False), status, "application/json; charset=utf-8", NO_STORE,
                     EVERY_ANSWER, headers)


def public_json(body: Any, max_age: int) -> Response:
    """A public read any cache may keep `max_age` seconds (API Gateway, CloudFront, browsers); the
    same for every caller, whatever their language (refusals, which are not, stay no-store)."""
    return json_response(200, body, {"Cache-Control": f"public, max-age={max_age}"})


def page_response(page: str, csp: str, cache: str, headers: Mapping[str, str] | None = None) -> Response:
    return _response(page, 200, "text/html; charset=utf-8", cache, _PAGES,
                     {"Content-Security-Policy": csp, **(headers or {})})


def asset_response(body: str, content_type: str, version: str, asked: str | None,
                   if_none_match: str | None) -> Response:
    """An asset of the voting page, which links it as `name?v=<content hash>`: asked with this
    content's hash it never changes, so any cache keeps it a year; asked otherwise (an old page
    during a deploy, no `v`) it must be revalidated. Its ETag is its hash either way."""
    etag = f'"{version}"'
    cache = "public, max-age=31536000, immutable" if asked == version else "no-cache"
    if if_none_match == etag:
        return _response("", 304, content_type, cache, _PAGES, {"ETag": etag})
    return _response(body, 200, content_type, cache, _PAGES, {"ETag": etag})


def revalidated_page(page: str, csp: str, etag: str, if_none_match: str | None,
                     headers: Mapping[str, str] | None = None) -> Response:
    """A page any cache may keep but must revalidate (`no-cache`): 304 without a body when the
    caller's copy is still this one (its ETag)."""
    quoted = f'"{etag}"'
    if if_none_match == quoted:
        return _response("", 304, "text/html; charset=utf-8", "no-cache", _PAGES,
                         {"ETag": quoted, "Content-Security-Policy": csp, **(headers or {})})
    return page_response(page, csp, "no-cache", {"ETag": quoted, **(headers or {})})


def svg_response(svg: str, cache: str = NO_STORE) -> Response:
    """A picture drawn here (a QR code), shown by the page as a same-origin image. Its own CSP:
    opened directly it can run nothing and load nothing."""
    return _response(svg, 200, "image/svg+xml", cache, EVERY_ANSWER,
                     {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})


def download_response(data: bytes, content_type: str, filename: str) -> Response:
    """A file to save (CSV, evidence): UTF-8 text, sent as such."""
    return _response(data.decode("utf-8"), 200, content_type, NO_STORE, EVERY_ANSWER,
                     {"Content-Disposition": f'attachment; filename="{filename}"'})


def error_response(code: str, language: str, extra: Mapping[str, Any] | None = None) -> Response:
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if code == "unavailable" else {}
    return json_response(status_for(code), {"error": code, "message": message_for(code, language), **(extra or {})},
                         headers)


def preferred_language(accept_language: str | None) -> str:
    """Pick kk, ru or en from an Accept-Language header by its q-values; ru when none fits."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for position, part in enumerate(accept_language[:512].split(",")[:20]):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower().split("-")[0]
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag in LANGUAGES and quality > 0 and quality - position * 1e-6 > best_q:
            best, best_q = tag, quality - position * 1e-6
    return best


def asked_language(accept_language: str | None) -> str | None:
    """The language an Accept-Language header names among kk, ru and en, or None if it names none."""
    if not accept_language:
        return None
    tags = {part.strip().split(";")[0].strip().lower().split("-")[0] for part in accept_language[:512].split(",")[:20]}
    return preferred_language(accept_language) if tags & set(LANGUAGES) else None


def query_param(request: Any, name: str) -> str | None:
    params: Mapping[str, str] = getattr(request, "query_params", None) or {}
    return params.get(name)


def header(request: Any, name: str) -> str | None:
    headers: Mapping[str, str] = getattr(request, "headers", None) or {}
    return headers.get(name)


def language_of(request: Any) -> str:
    """`?lang=kk|ru|en`, else the Accept-Language header, else ru."""
    asked = query_param(request, "lang")
    if asked in LANGUAGES:
        return str(asked)
    return preferred_language(header(request, "accept-language"))


Route = Callable[..., Response]


def handled(app: Any, action: str) -> Callable[[Route], Route]:
    """Wrap a route: contract errors for every refusal, 503 for storage trouble, never a 500. The
    decision goes on the request's outcome, which the telemetry middleware logs and counts
    (`adapters/telemetry.py`)."""

    def decorate(route: Route) -> Route:
        @functools.wraps(route)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            language = preferred_language(header(app.current_request, "accept-language"))
            telemetry.note(action=action)
            try:
                return route(*args, **kwargs)
            except Rejection as rejection:
                cause = "revocation" if rejection.code == "unavailable" and _refused_at_revocation() else None
                telemetry.note(decision="rejected", code=rejection.code, detail=rejection.detail, cause=cause)
                return error_response(rejection.code, language)
            except StorageUnavailable as error:
                telemetry.note(decision="unavailable", code="unavailable", detail=str(error), cause="storage")
            except ConcurrentUpdate as error:
                telemetry.note(decision="unavailable", code="unavailable", detail=str(error), cause="conflict")
            except ConfigurationError as error:
                telemetry.note(decision="misconfigured", code="unavailable", detail=str(error), cause="configuration")
            except Exception as error:  # the last line of defence: log loudly, answer 503, never 500
                # The exception's kind and where it was raised, never its text: it may quote the input.
                telemetry.note(decision="error", code="unavailable", cause="error",
                               detail=f"{type(error).__name__} at {_where(error)}")
            return error_response("unavailable", language)

        return wrapper

    return decorate


def _refused_at_revocation() -> bool:
    verification = trace.last()
    return verification is not None and verification.decided == REVOCATION


def _where(error: BaseException) -> str:
    """The innermost frame of a traceback: file and line."""
    frame = error.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    if frame is None:
        return "?"
    return f"{frame.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.tb_lineno}"


def body_of(request: Any) -> bytes:
    body = request.raw_body
    return body if isinstance(body, bytes) else (body or "").encode()
