"""`GET /admin`: the commission's page, one self-contained HTML document (inline CSS, JS and SVG;
no CDN, no external fonts). It holds no data: after sign-in with ЭЦП through NCALayer it calls the
admin API with the Bearer token. Kazakh, Russian and English; times in Astana time (UTC+5).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import os
import re
from collections.abc import Mapping
from pathlib import Path

DEFAULT_NCALAYER_URL = "wss://127.0.0.1:13579"
_NCALAYER_URL = re.compile(r"wss?://[A-Za-z0-9.\-\[\]]+(?::\d{1,5})?(?:/[A-Za-z0-9._~/\-]*)?")

WEB = Path(__file__).resolve().parent / "admin_web"


@functools.cache
def _assets() -> tuple[str, str, str]:
    return tuple((WEB / name).read_text(encoding="utf-8") for name in ("admin.html", "admin.css", "admin.js"))


def ncalayer_url(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    url = env.get("VOTING_NCALAYER_URL") or DEFAULT_NCALAYER_URL
    return url if _NCALAYER_URL.fullmatch(url) else DEFAULT_NCALAYER_URL


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def render(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The page and its Content-Security-Policy (inline code allowed by hash only)."""
    ncalayer = ncalayer_url(environ)
    template, style, script = _assets()
    page = (template.replace("{ncalayer}", html.escape(ncalayer)).replace("{style}", style)
            .replace("{script}", script))
    # Styles: 'unsafe-inline' because the charts carry style attributes (a hash would disable it).
    csp = (f"default-src 'none'; script-src {_hash(script)}; style-src 'unsafe-inline'; "
           f"connect-src 'self' {ncalayer}; img-src 'self' data: blob:; base-uri 'none'; form-action 'none'; "
           "frame-ancestors 'none'")
    return page, csp
