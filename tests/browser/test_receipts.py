"""Receipts and the contest's state in the real browser: a code typed any way is checked, a lost
code is recovered by signing a receipt request, the receipt prints with its check link and that
link's QR code (decoded as a camera would), an early close is said, and the page learns of it
without a reload."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DESKTOP, EARLY_ID, LIVE_ID, commission_of, decoded_qr, screenshot
from tests.browser.test_voting_page import choose, nominee

pytestmark = pytest.mark.integration


def vote_as(page, site, nominee_id: str) -> str:
    choose(page, nominee(site, nominee_id)["name"])
    page.get_by_role("button", name="Проголосовать").click()
    page.get_by_role("button", name="Подписать и проголосовать").click()
    page.get_by_role("heading", name="Спасибо! Ваш голос принят").wait_for()
    return page.locator("#receipt").inner_text()


def test_a_receipt_typed_in_lower_case_with_spaces_and_no_dashes_is_found(site, open_page):
    page = open_page(site.url)
    receipt = vote_as(page, site, "day-care-002")
    page = open_page(site.url)
    typed = " ".join(receipt.replace("-", "").lower()[i:i + 6] for i in range(0, 24, 6))  # "abcdef ghijkl …"
    page.get_by_label("Код квитанции", exact=True).fill(typed)
    page.get_by_role("button", name="Проверить", exact=True).click()
    page.locator("#check-result").get_by_text(f"Голос найден: {nominee(site, 'day-care-002')['name']}").wait_for()
    assert page.get_by_label("Код квитанции", exact=True).input_value() == receipt  # shown in its canonical form


def test_a_lost_receipt_is_recovered_from_the_check_by_signing_a_receipt_request(site, open_page, standin):
    standin("choose", iin="900101300781")
    page = open_page(site.url, device=DESKTOP)
    receipt = vote_as(page, site, "health-004")
    page = open_page(site.url, device=DESKTOP)
    page.get_by_role("button", name="Показать мою квитанцию").click()
    page.get_by_role("heading", name="Ваш голос уже записан").wait_for()
    assert page.locator("#receipt").inner_text() == receipt


def test_a_receipt_request_of_someone_who_has_not_voted_says_so(site, open_page, standin):
    standin("choose", iin="900101300782")
    page = open_page(site.url)
    page.get_by_role("button", name="Показать мою квитанцию").click()
    page.locator("#check-result").get_by_text("Голос не найден").wait_for()


def test_the_receipt_prints_with_its_check_link_and_the_links_qr_code(site, open_page):
    page = open_page(site.url, device=DESKTOP)
    receipt = vote_as(page, site, "family-003")
    link = f"{site.stack.api}/?receipt={receipt}"
    assert page.locator("#check-link").inner_text() == link
    assert decoded_qr(page, "receipt-qr") == link  # what a phone's camera reads off the printed page
    page.emulate_media(media="print")
    visible = page.evaluate("() => ['#step-choose', '#check', '#about', '.top', '.receipt-actions'].map("
                            "s => getComputedStyle(document.querySelector(s)).display)")
    assert visible == ["none"] * 5
    assert page.locator("#receipt").is_visible() and page.locator("#receipt-qr").is_visible()
    assert page.locator("#print-contest").inner_text() == "Республиканский конкурс «Лучший социальный работник» (демо)"
    screenshot(page, "receipt-print-desktop", full_page=True)
    page.emulate_media(media="screen")

    checking = open_page(link)  # the printed link (or its QR code) checks the vote when opened
    checking.locator("#check-result").get_by_text(f"Голос найден: {nominee(site, 'family-003')['name']}").wait_for()


def test_an_early_close_is_said_with_the_planned_end_and_when_results_come(site, open_page):
    page = open_page(f"{site.url}?contest={EARLY_ID}")
    phase = page.locator("#phase")
    phase.get_by_text("Комиссия завершила голосование досрочно").wait_for()
    assert "Голоса больше не принимаются" in phase.inner_text()
    assert page.locator("#planned-row").is_visible()
    assert page.locator("#planned").inner_text() != page.locator("#closes").inner_text()
    assert re.search(r"Голоса подсчитают после .+; итоги появятся на этой странице сами",
                     page.locator("#phase-note").inner_text())
    assert page.locator("#step-choose .nominee.readonly").count() == 3  # the candidates stay, read-only
    assert page.get_by_role("radio").count() == 0
    screenshot(page, "closed-early-phone", full_page=True)
    page.get_by_role("button", name="Қаз").click()
    assert phase.inner_text().startswith("Комиссия дауыс беруді мерзімінен бұрын аяқтады")


def test_the_page_learns_of_an_early_close_without_a_reload(site, open_page):
    page = open_page("about:blank")
    page.clock.install()
    page.goto(f"{site.url}?contest={LIVE_ID}")
    page.locator("#phase").get_by_text("Голосование открыто.").wait_for()
    assert page.get_by_role("radio").count() == 3
    commission_of(site.stack).close(LIVE_ID)
    said = page.locator("#phase").get_by_text("Комиссия завершила голосование досрочно")
    for _ in range(30):  # the API keeps its copy of a contest for a few seconds (real ones)
        with page.expect_response(lambda r: r.url.endswith(f"/contests/{LIVE_ID}")):
            page.clock.fast_forward("07:00")  # the page looks again every few minutes (spread at random)
        if said.is_visible():
            break
        page.wait_for_timeout(500)
    said.wait_for()
    assert page.get_by_role("radio").count() == 0 and page.locator(".nominee.readonly").count() == 3


def test_on_a_phone_the_confirmation_buttons_never_cover_the_last_step(site, open_page):
    page = open_page(site.url)
    choose(page, nominee(site, "health-001")["name"])
    page.get_by_role("button", name="Проголосовать").click()
    page.get_by_role("heading", name="Проверьте свой выбор").wait_for()
    page.locator("#confirm-title").scroll_into_view_if_needed()
    bar = page.locator("#sign-bar")
    assert bar.evaluate("b => getComputedStyle(b).position") == "static"
    last_step, buttons = page.locator(".howto li").last.bounding_box(), bar.bounding_box()
    assert last_step["y"] + last_step["height"] <= buttons["y"]
    screenshot(page, "ru-2-confirm-steps-phone")

