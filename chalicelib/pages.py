"""The public voting page: chalicelib/web/ read once, served as chalice Responses with strict
security headers. The page is static; the only per-request parts are `<html lang>` (from
Accept-Language, before the script applies the visitor's remembered choice) and the NCALayer
address of this stage (VOTING_NCALAYER_URL), which the page reads from a <meta> tag and the
Content-Security-Policy allows as the one connect-src besides 'self'."""

from __future__ import annotations

import functools
import hashlib
import html
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from chalice import Response

from chalicelib.config import ConfigurationError
from chalicelib.rejection import Rejection, preferred_language

WEB = Path(__file__).resolve().parent / "web"
DEFAULT_NCALAYER_URL = "wss://127.0.0.1:13579"
# Only what a WebSocket address to NCALayer needs: no spaces, quotes, ';' or ',' that could
# break out of the CSP header or the <meta> attribute.
_NCALAYER_URL = re.compile(r"wss?://[A-Za-z0-9.\-\[\]:]+(?::\d{1,5})?(?:/[A-Za-z0-9._~/\-]*)?")
ASSETS: Mapping[str, str] = {
    "vote.js": "text/javascript; charset=utf-8",
    "vote.css": "text/css; charset=utf-8",
}
_COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


@dataclass(frozen=True)
class Asset:
    body: str
    version: str  # a short content hash: the page links assets by it, so they can be cached for long


@functools.cache
def asset(name: str) -> Asset:
    if name not in ASSETS:
        raise Rejection("not_found", f"asset {name[:60]!r}")
    body = (WEB / name).read_text(encoding="utf-8")
    return Asset(body, hashlib.sha256(body.encode()).hexdigest()[:12])


@functools.cache
def _template() -> str:
    return (WEB / "index.html").read_text(encoding="utf-8")


def ncalayer_url(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    url = (env.get("VOTING_NCALAYER_URL") or "").strip() or DEFAULT_NCALAYER_URL
    if not _NCALAYER_URL.fullmatch(url):
        raise ConfigurationError("VOTING_NCALAYER_URL must be a ws:// or wss:// address, e.g. wss://127.0.0.1:13579")
    return url


def content_security_policy(ncalayer: str) -> str:
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        f"connect-src 'self' {ncalayer}",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def voting_page(accept_language: str | None, environ: Mapping[str, str] | None = None) -> Response:
    ncalayer = ncalayer_url(environ)
    replacements = {
        "{{lang}}": preferred_language(accept_language),
        "{{ncalayer}}": html.escape(ncalayer, quote=True),
        "{{css}}": f"assets/vote.css?v={asset('vote.css').version}",
        "{{js}}": f"assets/vote.js?v={asset('vote.js').version}",
    }
    page = _template()
    for placeholder, value in replacements.items():
        page = page.replace(placeholder, value)
    return Response(body=page, status_code=200, headers={
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": content_security_policy(ncalayer),
        "Cache-Control": "no-cache",
        "Content-Language": replacements["{{lang}}"],
        "Vary": "Accept-Language",
        **_COMMON_HEADERS,
    })


def asset_response(name: str) -> Response:
    found = asset(name)
    return Response(body=found.body, status_code=200, headers={
        "Content-Type": ASSETS[name],
        # Linked as name?v=<content hash>: a new deploy links new URLs.
        "Cache-Control": "public, max-age=86400",
        **_COMMON_HEADERS,
    })
