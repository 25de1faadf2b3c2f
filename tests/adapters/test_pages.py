"""The pages' adapter (chalicelib/adapters/pages.py) through chalice.test.Client: the HTML, its
security headers, the asset whitelist, and the one catalogue of refusal texts in both pages."""

from __future__ import annotations

import json
import re

import pytest

from chalicelib.adapters import pages
from chalicelib.voting.rejection import texts_for_pages
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


def texts_asset(http) -> dict:
    body = text(http.get("/assets/texts.js"))
    assert body.startswith("window.VOTING_TEXTS = ") and body.endswith(";\n")
    return json.loads(body[len("window.VOTING_TEXTS = "):-2])


def embedded_texts(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="texts">(.*?)</script>', page, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_the_voting_page_reads_the_servers_catalogue_of_refusals(http):
    assert texts_asset(http)["rejections"] == texts_for_pages()


def test_the_voting_page_links_its_texts_by_content_hash(http):
    assert f'<script src="assets/texts.js?v={pages.asset("texts.js").version}" defer>' in text(http.get("/"))


def test_the_admin_page_carries_the_same_catalogue(http):
    assert embedded_texts(text(http.get("/admin")))["rejections"] == texts_for_pages()


def test_embedded_texts_cannot_close_their_element():
    assert "<" not in pages.asset("texts.js").body
    assert "</" not in json.dumps(pages.page_texts(pages.ADMIN_WEB), ensure_ascii=False).replace("<", "")


@pytest.mark.parametrize("folder", [pages.WEB, pages.ADMIN_WEB])
def test_each_page_words_itself_in_three_languages_with_the_same_keys(folder):
    page = pages.page_texts(folder)["page"]
    assert set(page) == {"kk", "ru", "en"}
    assert set(page["kk"]) == set(page["ru"]) == set(page["en"])


def test_the_voting_page_words_only_its_own_states_never_a_servers_code():
    states = set(pages.page_texts(pages.WEB)["page"]["ru"]["problems"])
    assert {"ncalayer_missing", "cancelled", "network", "busy_resend", "busy_retry", "failed"} <= states
    assert not states & set(texts_for_pages())


def test_both_pages_take_astana_time_from_the_one_shared_helper_never_the_zone_database():
    common = pages.asset("common.js").body
    assert "ASTANA_OFFSET_MS = 5 * 60 * 60 * 1000" in common and "getUTCHours" in common
    for script in (pages.asset("vote.js").body, (pages.ADMIN_WEB / "admin.js").read_text(encoding="utf-8"),
                   common):
        assert "Asia/Almaty" not in script and "timeZone" not in script
        assert "Intl." not in script  # numbers, plurals and dates are the pages' own rules (no Kazakh ICU data)


def test_the_admin_page_inlines_the_shared_script_and_allows_it_by_hash(http):
    response = http.get("/admin")
    assert pages.asset("common.js").body in text(response)
    assert header(response, "Content-Security-Policy").count("'sha256-") == 2


def test_the_voting_page_loads_the_shared_script_before_its_own(http):
    page = text(http.get("/"))
    assert page.index(f'assets/common.js?v={pages.asset("common.js").version}') < page.index("assets/vote.js?v=")


def test_both_pages_link_an_icon_that_is_served(http):
    for path in ("/", "/admin"):
        assert f'href="assets/icon.svg?v={pages.asset("icon.svg").version}"' in text(http.get(path))
    for path in ("/assets/icon.svg", "/favicon.ico"):
        response = http.get(path)
        assert (response.status_code, header(response, "Content-Type")) == (200, "image/svg+xml")
        assert text(response).startswith("<svg")


@pytest.mark.parametrize("path", ["/", "/admin", f"/assets/vote.js?v={pages.asset('vote.js').version}"])
def test_pages_and_assets_tell_the_browser_to_use_https_only(http, path):
    assert header(http.get(path), "Strict-Transport-Security") == "max-age=63072000"


def test_an_asset_asked_by_its_content_hash_may_be_kept_a_year(http):
    version = pages.asset("vote.js").version
    response = http.get(f"/assets/vote.js?v={version}")
    assert header(response, "Cache-Control") == "public, max-age=31536000, immutable"
    assert header(response, "ETag") == f'"{version}"'


@pytest.mark.parametrize("query", ["", "?v=0123456789ab"])
def test_an_asset_asked_without_its_hash_must_be_revalidated(http, query):
    assert header(http.get(f"/assets/vote.js{query}"), "Cache-Control") == "no-cache"


def test_an_unchanged_asset_is_answered_304_without_a_body(http):
    version = pages.asset("vote.css").version
    response = http.get(f"/assets/vote.css?v={version}", headers={"If-None-Match": f'"{version}"'})
    assert (response.status_code, response.body) == (304, b"")


def test_the_voting_page_is_revalidated_and_an_unchanged_one_is_304(http):
    first = http.get("/", headers={"Accept-Language": "kk"})
    etag = header(first, "ETag")
    assert header(first, "Cache-Control") == "no-cache" and etag
    again = http.get("/", headers={"Accept-Language": "kk", "If-None-Match": etag})
    assert (again.status_code, again.body) == (304, b"")
    other_language = http.get("/", headers={"Accept-Language": "en", "If-None-Match": etag})
    assert other_language.status_code == 200 and header(other_language, "ETag") != etag


def test_the_admin_page_is_never_cached(http):
    assert header(http.get("/admin"), "Cache-Control") == "no-store"
