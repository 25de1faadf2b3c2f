"""The commission's page in the real browser against the local stack: sign-in with any of NCALayer's
key stores, results that read right in kk and ru (plurals, Astana time, charts with tables, by the
nominees' regions), refreshing by themselves, the session's end said before it comes, the early
close and the finalists upload each said and asked first, the CSV as Excel wants it, and a page
that fits a phone."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from devtools.demo import DEMO_ID
from devtools.vote import cast
from tests.browser.conftest import ADMIN_CLOSE_ID, DESKTOP, FINALISTS_ID, PHONE, commission_of, screenshot
from tests.browser.test_voting_page import nominee

pytestmark = pytest.mark.integration

SIGN_IN = {"ru": "Войти с ЭЦП", "kk": "ЭЦҚ арқылы кіру", "en": "Sign in with digital signature"}


def admin_page(open_page, site, device=DESKTOP, lang: str = "ru", before=None):
    page = open_page("about:blank", device=device)
    if before:
        before(page)
    page.goto(site.stack.api + "/admin")
    page.select_option("#lang", lang)
    page.get_by_role("button", name=SIGN_IN[lang]).click()
    page.locator("#summary dl").wait_for()
    return page


def pick(page, contest_id: str) -> None:
    with page.expect_response(lambda r: f"/admin/contests/{contest_id}/results" in r.url):
        page.select_option("#contest", contest_id)


def test_sign_in_offers_every_key_store_of_ncalayer(site, open_page):
    sent: list[str] = []
    page = admin_page(open_page, site, before=lambda p: p.on(
        "websocket", lambda socket: socket.on("framesent", lambda payload: sent.append(str(payload)))))
    request = next(json.loads(frame) for frame in sent if "kz.gov.pki.knca.basics" in frame)
    assert {"PKCS12", "AKKaztokenStore", "AKKZIDCardStore"} <= set(request["args"]["allowedStorages"])
    assert request["args"]["signerParams"]["extKeyUsageOids"] == []  # a sign-in key (AUTH) too
    assert page.locator("#session").inner_text().startswith("Сеанс до ")


def test_a_browser_that_refuses_local_storage_still_signs_in_and_switches_language(site, open_page):
    refused = ("Object.defineProperty(window, 'localStorage', "
               "{get() { throw new DOMException('no', 'SecurityError'); }})")
    page = admin_page(open_page, site, lang="kk", before=lambda p: p.add_init_script(refused))
    assert page.locator("html").get_attribute("lang") == "kk"
    assert page.locator("#session").inner_text().startswith("Сеанс аяқталуы: ")


def test_someone_not_listed_is_told_why_and_what_to_do(site, open_page, standin):
    standin("choose", iin="900101300990")
    page = open_page(site.stack.api + "/admin")
    page.get_by_role("button", name="Войти с ЭЦП").click()
    error = page.get_by_role("alert").filter(has_text="VOTING_ADMIN_IINS")
    error.wait_for()
    assert "попросите оператора добавить ваш ИИН" in error.inner_text()
    assert page.locator("#app").is_hidden()


def test_results_read_in_russian_with_plurals_astana_time_and_a_table_behind_each_chart(site, open_page):
    api, ncalayer = site.stack.api, site.stack.ncalayer
    assert cast(api, DEMO_ID, "residential-004", "900101300941", ncalayer)[0] == 201
    for i in range(3):
        assert cast(api, DEMO_ID, "residential-005", f"90010130095{i}", ncalayer)[0] == 201
    page = admin_page(open_page, site)
    pick(page, DEMO_ID)
    results = page.locator("#results")
    assert f"{nominee(site, 'residential-004')['name']}\n1 голос · " in results.inner_text()
    assert f"{nominee(site, 'residential-005')['name']}\n3 голоса · " in results.inner_text()
    assert "Состояние на" in page.locator("#summary").inner_text()  # a live count is no tally
    assert "предварительные" in page.locator("#summary").inner_text()
    assert page.locator("details summary", has_text="Таблица").count() == 7 + 2  # nominations, regions, turnout
    regions = page.locator("#regions")
    region = nominee(site, "residential-005")["region"]["ru"]
    assert region in regions.inner_text()
    screenshot(page, "admin-ru-desktop", full_page=True)


def test_kazakh_says_download_and_upload_with_their_own_words(site, open_page):
    page = admin_page(open_page, site, lang="kk")
    assert page.get_by_role("button", name="CSV жүктеп алу").is_visible()
    pick(page, FINALISTS_ID)
    assert page.get_by_text("Финалистерді жүктеп салу (CSV)").is_visible()
    assert "(басталмаған)" in page.locator("#contest option[value='finalists-next']").inner_text()
    screenshot(page, "admin-kk-desktop")


def test_on_a_phone_the_page_fits_and_its_labels_keep_their_size(site, open_page):
    page = admin_page(open_page, site, device=PHONE)
    pick(page, DEMO_ID)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    label = page.locator("#turnout svg text").first
    assert label.evaluate("t => t.getBoundingClientRect().height") >= 10  # not a 900-px chart shrunk
    screenshot(page, "admin-ru-phone", full_page=True)
    page.select_option("#lang", "kk")
    page.locator("#summary").get_by_text("Барлық дауыс").wait_for()
    screenshot(page, "admin-kk-phone", full_page=True)


def test_the_early_close_names_the_contest_and_asks_first(site, open_page):
    page = admin_page(open_page, site)
    pick(page, ADMIN_CLOSE_ID)
    page.get_by_role("button", name="Завершить досрочно").click()
    dialog = page.get_by_role("dialog")
    assert "Завершить голосование в конкурсе «Конкурс, который закроет комиссия» сейчас?" in dialog.inner_text()
    screenshot(page, "admin-close-dialog-desktop")
    dialog.get_by_role("button", name="Отмена").click()
    assert commission_of(site.stack).store.get_contest(ADMIN_CLOSE_ID).state == "scheduled"
    page.get_by_role("button", name="Завершить досрочно").click()
    with page.expect_response(lambda r: r.url.endswith(f"/admin/contests/{ADMIN_CLOSE_ID}/close")):
        dialog.get_by_role("button", name="Завершить досрочно").click()
    page.get_by_text("Голосование в конкурсе «Конкурс, который закроет комиссия» завершено").wait_for()
    expect(page.locator(f"#contest option[value='{ADMIN_CLOSE_ID}']")).to_have_text(
        "Конкурс, который закроет комиссия (завершён досрочно)")
    assert commission_of(site.stack).store.get_contest(ADMIN_CLOSE_ID).closed_early is True


FINALISTS = ("nomination;id;name;region;organization;description_kk;description_ru;description_en\n"
             "home-care;hc-001;Айгүл Сейтқали;Алматы;ТЦСО №1;;20 лет стажа;\n"
             "home-care;hc-003;Жұмабаев Ержан;Жетісу облысы;ЦСО №2;;;\n"
             "rehab;rh-001;Елена Ким;Караганда;Реабилитационный центр №2;;;\n")


def test_the_finalists_upload_says_what_will_change_and_asks(site, open_page, tmp_path):
    sheet = tmp_path / "finalists.csv"
    sheet.write_text(FINALISTS, encoding="utf-8")
    page = admin_page(open_page, site)
    pick(page, FINALISTS_ID)
    page.set_input_files("#finalists", str(sheet))
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Добавятся (1): Жұмабаев Ержан").wait_for()
    assert "Будут удалены (1): Марат Оспанов" in dialog.inner_text()
    assert "Изменятся (1): Елена Ким (организация)" in dialog.inner_text()
    screenshot(page, "admin-finalists-preview-desktop")
    dialog.get_by_role("button", name="Отмена").click()
    store = commission_of(site.stack).store
    assert [n.id for n in store.get_contest(FINALISTS_ID).contest.nominations[0].nominees] == ["hc-001", "hc-002"]
    page.set_input_files("#finalists", str(sheet))
    dialog.get_by_role("button", name="Загрузить").click()
    page.get_by_text("Загружено: 3 кандидата — список обновлён.").wait_for()
    assert [n.id for n in store.get_contest(FINALISTS_ID).contest.nominations[0].nominees] == ["hc-001", "hc-003"]


def test_once_voting_has_opened_the_finalists_upload_is_not_offered(site, open_page):
    page = admin_page(open_page, site)
    pick(page, DEMO_ID)
    assert page.locator("#finalists").is_hidden()
    assert page.get_by_text("Голосование уже началось: список кандидатов закреплён").is_visible()


def test_the_csv_for_excel_is_named_provisional_and_says_so_in_the_chosen_language(site, open_page):
    page = admin_page(open_page, site)
    pick(page, DEMO_ID)
    with page.expect_download() as download:
        page.get_by_role("button", name="CSV для Excel (;)").click()
    name = download.value.suggested_filename
    assert name.startswith(f"{DEMO_ID}-results-provisional-") and name.endswith("-semicolon.csv")
    with open(download.value.path(), encoding="utf-8-sig", newline="") as saved:
        text = saved.read()
    assert '"Итоги";"предварительные' in text  # every cell quoted
    assert '\r\n"Номинация";"Кандидат";"Регион";"Организация";"Голоса";"Доля, %"\r\n' in text


def test_provisional_results_refresh_by_themselves_and_the_sessions_end_is_said_before_it_comes(site, open_page):
    asked: list[str] = []
    page = admin_page(open_page, site, before=lambda p: (p.clock.install(), p.on(
        "request", lambda r: asked.append(r.url) if "/results" in r.url else None)))
    pick(page, DEMO_ID)
    before = len(asked)
    with page.expect_response(lambda r: f"/admin/contests/{DEMO_ID}/results" in r.url):
        page.clock.fast_forward("01:05")
    assert len(asked) > before
    until_warning = page.evaluate("Date.parse(sessionStorage.getItem('admin-expires')) - Date.now() - 115000")
    page.clock.fast_forward(int(until_warning))  # a little less than two minutes before the session ends
    warning = page.get_by_role("alert").filter(has_text="Сеанс закончится через 2 минуты")
    warning.wait_for()
    assert warning.get_by_role("button", name="Войти снова").is_visible()
    screenshot(page, "admin-session-ending-desktop")
    page.clock.fast_forward("02:00")
    page.get_by_role("alert").filter(has_text="Сеанс закончился. Войдите снова.").wait_for()
    assert page.locator("#login").is_visible()
