"""Voting from a phone in a real browser (Debian's Chromium through Playwright) against the local
stack: the page offers eGov mobile, the eGov mobile stand-in (devtools/egov_mobile.py) plays the
app over the real protocol, and the page shows the receipt (or the refusal) by polling. The QR code
is decoded from what the browser drew with a real QR decoder (zxing-cpp). Screenshots in
build/screenshots/."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from devtools.demo import DEMO_ID
from devtools.egov_mobile import sign_session, signer
from devtools.localpki import load_dev_pki
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, decoded_qr, screenshot, second_api
from tests.browser.test_voting_page import RECEIPT, choose, nominee

pytestmark = pytest.mark.integration

# A phone's browser says so in its user agent, as Chrome on Android does.
ANDROID = {**PHONE, "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                                  "Chrome/130.0.0.0 Mobile Safari/537.36"}
STARTED = re.compile(r".*/contests/[^/]+/mobile-signatures$")


def confirm(page, site, nominee_id: str) -> None:
    choose(page, nominee(site, nominee_id)["name"])
    page.get_by_role("button", name="Проголосовать").click()
    page.get_by_role("heading", name="Проверьте свой выбор").wait_for()


def start_session(page, button: str) -> dict:
    """Press the page's eGov mobile button; the session it started, as the server answered it."""
    with page.expect_response(lambda r: STARTED.match(r.url) and r.request.method == "POST") as started:
        page.get_by_role("button", name=button).click()
    assert started.value.status == 201
    return started.value.json()


def phone_signs(site, scanned: str, iin: str | None = None, profile: str = "citizen", key: str = "rsa"):
    """The eGov mobile stand-in signs what the phone scanned or opened."""
    return sign_session(scanned, signer(load_dev_pki(site.stack.pki_dir), iin, key, profile), lambda _: None)


def refused_on_the_phone(page, site, nominee_id: str, status: int, words: str, **who: str):
    """The citizen signs in eGov mobile on this phone and the service refuses: the page's words for it."""
    confirm(page, site, nominee_id)
    started = start_session(page, "Подписать в eGov mobile")
    assert phone_signs(site, started["link"], **who).status == status
    problem = page.get_by_role("alert").filter(has_text=words)
    problem.wait_for()
    return started, problem


def expire(site, session_id: str) -> None:
    """Ten minutes pass for this session: its expiry moved into the past in the stack's table."""
    from chalicelib.runtime import Runtime
    from chalicelib.settings import Settings
    from chalicelib.voting.clock import iso_utc

    store = Runtime(Settings.from_environment(site.stack.environment())).store
    past = iso_utc(datetime.now(UTC) - timedelta(seconds=1))
    store.sessions(session_id).update(actions=[store.sessions.expires_at.set(past)])


def test_on_a_phone_the_same_device_link_leads_to_the_receipt(site, open_page):
    person = nominee(site, "health-002")
    page = open_page(site.url, device=ANDROID)
    confirm(page, site, "health-002")
    main = page.get_by_role("button", name="Подписать в eGov mobile")
    assert main.is_visible() and "primary" in main.get_attribute("class")
    assert "secondary" in page.get_by_role("button", name="Подписать и проголосовать").get_attribute("class")
    assert page.get_by_role("button", name="QR-код для eGov mobile").is_hidden()
    screenshot(page, "egov-1-confirm-phone")

    started = start_session(page, "Подписать в eGov mobile")
    link = page.get_by_role("link", name="Открыть eGov mobile")
    assert link.get_attribute("href") == started["link"]
    assert started["link"].startswith("https://mgovsign.page.link/?link=http%3A%2F%2F127.0.0.1%3A")
    assert page.locator("#mobile-status").inner_text().startswith("Ждём подпись из eGov mobile… Ссылка действует ещё")
    assert page.locator("#qr").is_hidden()
    screenshot(page, "egov-2-waiting-phone")

    answer = phone_signs(site, started["link"])
    assert answer.status == 200
    page.get_by_role("heading", name="Спасибо! Ваш голос принят").wait_for()
    receipt = page.locator("#receipt").inner_text()
    assert RECEIPT.fullmatch(receipt) and receipt == answer.body["vote"]["receipt"]
    assert page.locator("#done-choice").inner_text() == person["name"]
    screenshot(page, "egov-3-receipt-phone")


def test_on_a_desktop_the_qr_code_decodes_to_the_sessions_text_and_leads_to_the_receipt(site, open_page):
    page = open_page(site.url, device=DESKTOP)
    confirm(page, site, "education-002")
    assert page.get_by_role("button", name="Подписать в eGov mobile").is_hidden()
    assert "primary" in page.get_by_role("button", name="Подписать и проголосовать").get_attribute("class")
    started = start_session(page, "QR-код для eGov mobile")
    page.get_by_role("heading", name="Отсканируйте QR-код в eGov mobile").wait_for()
    text = decoded_qr(page, "qr")
    assert text == started["qr"] == f"mobileSign:{site.stack.api}/egov/{started['id']}"
    assert page.get_by_role("img", name="QR-код для подписи голоса в eGov mobile").is_visible()
    screenshot(page, "egov-4-qr-desktop")
    page.locator("#qr").screenshot(path=str(SCREENSHOTS / "egov-4-qr-only.png"))

    assert phone_signs(site, text, key="gost").status == 200  # a citizen with a GOST key
    page.get_by_role("heading", name="Спасибо! Ваш голос принят").wait_for()
    assert RECEIPT.fullmatch(page.locator("#receipt").inner_text())
    screenshot(page, "egov-5-receipt-desktop")


def test_an_expired_qr_code_says_so_in_words_and_offers_a_new_one(site, open_page):
    page = open_page(site.url, device=DESKTOP)
    confirm(page, site, "family-003")
    started = start_session(page, "QR-код для eGov mobile")
    page.locator("#qr").wait_for()
    expire(site, started["id"])
    page.get_by_text("Время вышло: QR-код действовал 10 минут, а голос не подписан. Создайте новый QR-код.").wait_for()
    assert page.locator("#qr").is_hidden()
    screenshot(page, "egov-6-expired-desktop")
    page.get_by_role("button", name="Eng").click()
    page.get_by_text("Time is up: the QR code was valid for 10 minutes and the vote was not signed.").wait_for()
    page.get_by_role("button", name="Қаз").click()
    page.get_by_text("Уақыт өтті: QR-код 10 минут жарамды еді").wait_for()
    renewed = start_session(page, "Жаңа QR-код жасау")
    assert renewed["id"] != started["id"]
    page.get_by_role("heading", name="QR-кодты eGov mobile-да сканерлеңіз").wait_for()
    assert page.locator("#qr").is_visible()


def test_a_rejected_signature_from_the_phone_is_explained(site, open_page):
    page = open_page(site.url, device=ANDROID)
    started, _ = refused_on_the_phone(page, site, "day-care-002", 403, "Это ключ юридического лица",
                                      profile="legal-entity")
    assert page.locator("#mobile").is_hidden()
    screenshot(page, "egov-7-rejected-phone")
    started_again = start_session(page, "Попробовать снова")
    assert started_again["id"] != started["id"]
    page.get_by_role("link", name="Открыть eGov mobile").wait_for()


def test_a_person_who_voted_with_ncalayer_is_told_already_voted_on_the_phone(site, open_page, standin):
    standin("choose", iin="900101300444")
    page = open_page(site.url, device=DESKTOP)
    confirm(page, site, "residential-003")
    page.get_by_role("button", name="Подписать и проголосовать").click()
    page.get_by_role("heading", name="Спасибо! Ваш голос принят").wait_for()

    phone = open_page(site.url, device=ANDROID)
    _, problem = refused_on_the_phone(phone, site, "employment-003", 409, "Вы уже проголосовали", iin="900101300444")
    assert "Изменить его нельзя" in problem.inner_text()
    assert problem.get_by_role("button", name="Проверить свой голос").is_visible()
    screenshot(phone, "egov-8-already-voted-phone")


def test_the_waiting_phone_speaks_kazakh_and_english(site, open_page):
    page = open_page(site.url, device=ANDROID, locale="kk-KZ")
    page.get_by_role("button", name="Қаз").click()
    choose(page, nominee(site, "home-care-003")["name"])
    page.get_by_role("button", name="Дауыс беру", exact=True).click()
    start_session(page, "eGov mobile-да қол қою")
    page.get_by_role("link", name="eGov mobile-ды ашу").wait_for()
    assert page.locator("#mobile-status").inner_text().startswith("eGov mobile-дан қолтаңбаны күтудеміз…")
    screenshot(page, "egov-9-waiting-phone-kk")
    page.get_by_role("button", name="Eng").click()
    page.get_by_role("link", name="Open eGov mobile").wait_for()
    assert page.get_by_role("heading", name="Signing in eGov mobile").is_visible()
    assert page.locator("#get-app").get_by_role("link", name="Google Play").get_attribute("href") == \
        "https://play.google.com/store/apps/details?id=kz.mobile.mgov"


def test_the_stand_in_cli_signs_the_qr_text_as_typed(site):
    status, started = _post(site, f"/contests/{DEMO_ID}/mobile-signatures", {"nominee": "health-003"})
    assert status == 201
    done = subprocess.run([sys.executable, "-m", "devtools.egov_mobile", started["qr"], "--key", "ecdsa",  # noqa: S603
                           "--pki", str(site.stack.pki_dir)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "API 1: GET " in done.stdout and '200 {"status": "accepted"' in done.stdout


@pytest.fixture(scope="module")
def site_without_public_url(site):
    """The same stack served by a second API process whose stage names no public address."""
    yield from second_api(site, VOTING_PUBLIC_URL="")


def test_without_a_public_address_the_page_offers_no_egov_mobile(site, site_without_public_url, open_page):
    page = open_page(site_without_public_url, device=ANDROID)
    confirm(page, site, "health-001")
    assert page.get_by_role("button", name="Подписать и проголосовать").is_visible()
    assert page.get_by_role("button", name="Подписать в eGov mobile").is_hidden()


def _post(site, path: str, body: dict):
    from devtools.vote import http

    return http("POST", site.stack.api + path, body)
