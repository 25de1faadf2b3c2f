"""The two pages: the citizens' voting page (`web/`: index.html with its script, style and texts
as assets) and the commission's admin page (`admin_web/`: one self-contained document, inline code
allowed by hash). Both are static but for `<html lang>`, this stage's NCALayer address (which
the Content-Security-Policy allows as the one connect-src besides 'self') and, on the voting page,
whether eGov mobile signing is offered and the stage's public address (the receipt's check link).
What both pages do alike (Astana time, numbers and plurals, NCALayer) is one script, `web/common.js`:
an asset of the voting page, inlined into the admin page.

Words are data: each page's own texts in its `texts.json`, and the refusals' texts in the one
catalogue the server answers from (`voting/rejections.json`). The voting page gets both in the
generated asset `texts.js`; the admin page as a JSON data block. So a text exists once.
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
from typing import Any

from chalicelib.voting.rejection import Rejection, texts_for_pages

HERE = Path(__file__).resolve().parent
WEB = HERE / "web"
ADMIN_WEB = HERE / "admin_web"
ASSETS: Mapping[str, str] = {
    "common.js": "text/javascript; charset=utf-8",  # shared with the admin page (inlined there)
    "vote.js": "text/javascript; charset=utf-8",
    "icon.svg": "image/svg+xml",
    "vote.css": "text/css; charset=utf-8",
    "texts.js": "text/javascript; charset=utf-8",  # generated: web/texts.json and the catalogue
}


@dataclass(frozen=True)
class Asset:
    body: str
    version: str  # a short content hash: the page links assets by it, so they can be cached for long


@dataclass(frozen=True)
class Page:
    html: str
    csp: str

    @functools.cached_property
    def etag(self) -> str:
        return hashlib.sha256((self.csp + "\n" + self.html).encode()).hexdigest()[:24]


@functools.cache
def asset(name: str) -> Asset:
    if name not in ASSETS:
        raise Rejection("not_found", f"asset {name[:60]!r}")
    body = _voting_texts() if name == "texts.js" else _read(WEB / name)
    return Asset(body, hashlib.sha256(body.encode()).hexdigest()[:12])


@functools.cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def page_texts(folder: Path) -> dict[str, Any]:
    """A page's words, with the refusals' texts beside them: {"page": ..., "rejections": ...}."""
    return {"page": json.loads(_read(folder / "texts.json")), "rejections": texts_for_pages()}


def _as_json(value: object) -> str:
    # `<` escaped: the text can close no element it is embedded in.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _voting_texts() -> str:
    return f"window.VOTING_TEXTS = {_as_json(page_texts(WEB))};\n"


def _fill(template: str, values: Mapping[str, str]) -> str:
    for name, value in values.items():
        template = template.replace("{{" + name + "}}", value)
    return template


def _link(name: str) -> str:
    return f"assets/{name}?v={asset(name).version}"


@functools.cache
def voting_page(language: str, ncalayer_url: str, egov_mobile: bool = False, public_url: str | None = None) -> Page:
    """The page; `egov_mobile` says whether it offers signing in eGov mobile, `public_url` (the
    stage's public address, when known) is the base of a receipt's check link and its QR code. The
    QR codes are same-origin images, so the CSP needs nothing more."""
    page = _fill(_read(WEB / "index.html"), {
        "lang": language,
        "ncalayer": html.escape(ncalayer_url, quote=True),
        "egov_mobile": "on" if egov_mobile else "off",
        "public_url": html.escape(public_url or "", quote=True),
        "icon": _link("icon.svg"),
        "css": _link("vote.css"),
        "common": _link("common.js"),
        "js": _link("vote.js"),
        "texts": _link("texts.js"),
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


@functools.cache
def admin_page(ncalayer_url: str) -> Page:
    common, script = _read(WEB / "common.js"), _read(ADMIN_WEB / "admin.js")
    page = _fill(_read(ADMIN_WEB / "admin.html"), {
        "ncalayer": html.escape(ncalayer_url, quote=True),
        "icon": _link("icon.svg"),
        "style": _read(ADMIN_WEB / "admin.css"),
        "common": common,
        "script": script,
        "texts": _as_json(page_texts(ADMIN_WEB)),
    })
    # Styles: 'unsafe-inline' because the charts carry style attributes (a hash would disable it).
    csp = "; ".join([
        "default-src 'none'",
        f"script-src {_hash(common)} {_hash(script)}",
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
