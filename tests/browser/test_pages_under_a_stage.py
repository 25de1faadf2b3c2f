"""Both pages as API Gateway serves them, under the stage prefix `…/api/`: every call they make is
relative to the page, so none misses the stage (the proxy records any that does)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ADMIN_IIN, DESKTOP, screenshot

pytestmark = pytest.mark.integration

RECEIPT = re.compile(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){5}")


def missed(stage) -> list[str]:
    """What the page asked outside the stage (the browser's own favicon request is not the page's)."""
    return [path for path in stage.outside if path != "/favicon.ico"]


def test_a_citizen_votes_on_the_page_under_the_stage_prefix(site, stage, open_page):
    page = open_page(stage.url)
    page.get_by_role("button", name="Рус").click()
    page.get_by_role("radio").first.check()
    page.get_by_role("button", name="Проголосовать").click()
    page.get_by_role("button", name="Подписать и проголосовать").click()
    page.get_by_role("heading", name="Спасибо! Ваш голос принят").wait_for()
    receipt = page.locator("#receipt").inner_text()
    assert RECEIPT.fullmatch(receipt)
    page.get_by_role("button", name="Проверить", exact=True).click()
    page.locator("#check-result").get_by_text("Голос найден").wait_for()
    assert missed(stage) == []
    screenshot(page, "stage-prefix-vote-phone")


def test_the_commission_signs_in_and_reads_results_on_the_admin_page_under_the_stage_prefix(site, stage, open_page,
                                                                                              standin):
    standin("choose", iin=ADMIN_IIN)
    page = open_page(stage.url + "admin", device=DESKTOP)
    page.get_by_role("button", name="Войти с ЭЦП").click()
    page.locator("#app").wait_for(state="visible")
    # The first contest by opening time has closed but is not tallied on this stack: provisional counts.
    page.locator("#summary").get_by_text("предварительные").wait_for()
    options = page.locator("#contest option").all_inner_texts()
    assert any("Лучший социальный работник" in option for option in options)
    with page.expect_download() as download:
        page.get_by_role("button", name="Скачать CSV").click()
    assert re.fullmatch(r"closed-contest-results-provisional-\d{8}-\d{4}\.csv", download.value.suggested_filename)
    assert missed(stage) == []
    screenshot(page, "stage-prefix-admin-desktop", full_page=True)
