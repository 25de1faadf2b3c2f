"""The voting page's adapter (chalicelib/pages.py) through chalice.test.Client: the HTML, its
security headers and the asset whitelist."""

from __future__ import annotations

import json
import re

import pytest

from chalicelib import pages
from chalicelib.config import ConfigurationError
from tests.conftest import ROOT


@pytest.fixture
def http():
    from chalice.test import Client

    import app as application

    with Client(application.app, project_dir=str(ROOT)) as client:
        yield client.http


def text(response) -> str:
    return response.body.decode() if isinstance(response.body, bytes) else response.body


def header(response, name: str) -> str:
    return {k.lower(): v for k, v in response.headers.items()}[name.lower()]


def test_page_is_html_in_the_callers_language(http):
    response = http.get("/", headers={"Accept-Language": "kk-KZ,kk;q=0.9,ru;q=0.8"})
    assert response.status_code == 200
    assert header(response, "Content-Type") == "text/html; charset=utf-8"
    assert '<html lang="kk">' in text(response)


def test_page_is_russian_when_the_caller_names_no_known_language(http):
    assert '<html lang="ru">' in text(http.get("/", headers={"Accept-Language": "de-DE"}))


def test_page_carries_the_stages_ncalayer_address(http):
    response = http.get("/")
    assert '<meta name="ncalayer-url" content="ws://127.0.0.1:13579">' in text(response)
    assert "connect-src 'self' ws://127.0.0.1:13579;" in header(response, "Content-Security-Policy")


def test_prod_stage_page_talks_to_the_real_ncalayer_over_wss():
    from chalice.test import Client

    import app as application

    with Client(application.app, stage_name="prod", project_dir=str(ROOT)) as client:
        response = client.http.get("/")
    assert '<meta name="ncalayer-url" content="wss://127.0.0.1:13579">' in text(response)
    assert "connect-src 'self' wss://127.0.0.1:13579;" in header(response, "Content-Security-Policy")


def test_ncalayer_address_defaults_to_the_real_ncalayer():
    assert pages.ncalayer_url({}) == "wss://127.0.0.1:13579"


def test_ncalayer_address_may_name_another_port():
    assert pages.ncalayer_url({"VOTING_NCALAYER_URL": " ws://127.0.0.1:5555 "}) == "ws://127.0.0.1:5555"


@pytest.mark.parametrize("url", ["ws://127.0.0.1:1; script-src *", "https://127.0.0.1:13579",
                                 'wss://127.0.0.1:13579"><script>', "wss://a b"])
def test_a_malformed_ncalayer_address_is_a_configuration_error(url):
    with pytest.raises(ConfigurationError, match="VOTING_NCALAYER_URL"):
        pages.voting_page(None, {"VOTING_NCALAYER_URL": url})


def test_csp_allows_scripts_and_styles_from_the_api_origin_only(http):
    policy = header(http.get("/"), "Content-Security-Policy")
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe" not in policy


def test_page_has_no_inline_script_style_or_handlers(http):
    page = text(http.get("/"))
    assert not re.search(r"<script(?![^>]*\ssrc=)", page)
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", page)


def test_page_loads_nothing_from_another_origin(http):
    page = text(http.get("/"))
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page)


def test_page_links_its_assets_by_content_hash(http):
    page = text(http.get("/"))
    script = re.search(r'<script src="(assets/vote\.js\?v=([0-9a-f]{12}))"', page)
    assert script is not None
    assert script.group(2) == pages.asset("vote.js").version


def test_page_offers_the_three_language_buttons(http):
    page = text(http.get("/"))
    assert [m for m in re.findall(r'data-lang="(\w+)"[^>]*>([^<]+)<', page)] == [
        ("kk", "Қаз"), ("ru", "Рус"), ("en", "Eng")]


@pytest.mark.parametrize(("name", "content_type"), [
    ("vote.js", "text/javascript; charset=utf-8"),
    ("vote.css", "text/css; charset=utf-8"),
])
def test_assets_are_served_with_their_content_type(http, name, content_type):
    response = http.get(f"/assets/{name}")
    assert response.status_code == 200
    assert header(response, "Content-Type") == content_type
    assert header(response, "X-Content-Type-Options") == "nosniff"


@pytest.mark.parametrize("name", ["index.html", "pages.py", "..%2Fpages.py", "vote.js.map", "VOTE.JS", "%00"])
def test_anything_outside_the_whitelist_is_404(http, name):
    response = http.get(f"/assets/{name}")
    assert response.status_code == 404
    assert json.loads(response.body)["error"] == "not_found"


def test_every_stage_sets_its_ncalayer_address():
    stages = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]
    assert stages["dev"]["environment_variables"]["VOTING_NCALAYER_URL"] == "ws://127.0.0.1:13579"
    assert stages["prod"]["environment_variables"]["VOTING_NCALAYER_URL"] == "wss://127.0.0.1:13579"
