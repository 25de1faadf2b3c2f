"""The two pages: the citizens' voting page (`web/`: index.html with its script and style as
assets) and the commission's admin page (`admin_web/`: one self-contained document, inline code
allowed by hash). Both are static but for `<html lang>`, this stage's NCALayer address (which the
Content-Security-Policy allows as the one connect-src besides 'self') and the catalogue of refusal
texts (`voting/rejections.json`), embedded as a JSON data block so that a text exists once.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from chalicelib.voting.rejection import Rejection, texts_for_pages

HERE = Path(__file__).resolve().parent
WEB = HERE / "web"
ADMIN_WEB = HERE / "admin_web"
ASSETS: Mapping[str, str] = {
    "vote.js": "text/javascript; charset=utf-8",
    "vote.css": "text/css; charset=utf-8",
}


@dataclass(frozen=True)
class Asset:
    body: str
    version: str  # a short content hash: the page links assets by it, so they can be cached for long


@dataclass(frozen=True)
class Page:
    html: str
    csp: str


@functools.cache
def asset(name: str) -> Asset:
    if name not in ASSETS:
        raise Rejection("not_found", f"asset {name[:60]!r}")
    body = (WEB / name).read_text(encoding="utf-8")
    return Asset(body, hashlib.sha256(body.encode()).hexdigest()[:12])


@functools.cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@functools.cache
def rejection_texts() -> str:
    """The catalogue as a JSON data block's text (`<` escaped, so it cannot close the element)."""
    return json.dumps(texts_for_pages(), ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _fill(template: str, values: Mapping[str, str]) -> str:
    for name, value in values.items():
        template = template.replace("{{" + name + "}}", value)
    return template


def voting_page(language: str, ncalayer_url: str) -> Page:
    page = _fill(_read(WEB / "index.html"), {
        "lang": language,
        "ncalayer": html.escape(ncalayer_url, quote=True),
        "css": f"assets/vote.css?v={asset('vote.css').version}",
        "js": f"assets/vote.js?v={asset('vote.js').version}",
        "rejections": rejection_texts(),
    })
    csp = "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        f"connect-src 'self' {ncalayer_url}",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])
    return Page(page, csp)


def admin_page(ncalayer_url: str) -> Page:
    script = _read(ADMIN_WEB / "admin.js")
    page = _fill(_read(ADMIN_WEB / "admin.html"), {
        "ncalayer": html.escape(ncalayer_url, quote=True),
        "style": _read(ADMIN_WEB / "admin.css"),
        "script": script,
        "rejections": rejection_texts(),
    })
    # Styles: 'unsafe-inline' because the charts carry style attributes (a hash would disable it).
    csp = "; ".join([
        "default-src 'none'",
        f"script-src {_hash(script)}",
        "style-src 'unsafe-inline'",
        f"connect-src 'self' {ncalayer_url}",
        "img-src 'self' data: blob:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ])
    return Page(page, csp)


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"
