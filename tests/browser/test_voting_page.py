"""The public voting page in a real browser (Debian's Chromium through Playwright) against the
local stack and the NCALayer stand-in. Every test leaves a screenshot in build/screenshots/."""

from __future__ import annotations

import re

import pytest

from devtools.demo import DEMO_ID, person_name
from tests.browser.conftest import BIG_ID, BIG_NOMINATION, CLOSED_ID, DESKTOP, UPCOMING_ID, screenshot

pytestmark = pytest.mark.integration

RECEIPT = re.compile(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){5}")


def nominee(site, nominee_id: str) -> dict:
    for nomination in site.get(f"/contests/{DEMO_ID}")["nominations"]:
        for person in nomination["nominees"]:
            if person["id"] == nominee_id:
                return person
    raise AssertionError(nominee_id)


def choose(page, name: str) -> None:
    page.get_by_role("radio", name=name).check()


def everyone(site) -> list[dict]:
    return [p for n in site.get(f"/contests/{DEMO_ID}")["nominations"] for p in n["nominees"]]


def test_whole_vote_in_russian_on_a_phone(site, open_page):
    person = nominee(site, "home-care-002")  # Сейтқали Ерлан
    page = open_page(site.url)
    page.get_by_role("button", name="Рус").click()
    assert page.locator("html").get_attribute("lang") == "ru"
    page.get_by_role("heading", level=1, name="Республиканский конкурс «Лучший социальный работник» (демо)").wait_for()
    assert page.locator("#countdown").inner_text().startswith("До окончания голосования:")
    assert "(UTC+5)" in page.locator(".tz").inner_text()
    page.get_by_label("Поиск по имени").fill("сейткали")  # typed without Kazakh letters
    found = sum("Сейтқали" in p["name"] for p in everyone(site))
    page.locator("#found").get_by_text(f"Показано кандидатов: {found} из 34").wait_for()
    choose(page, person["name"])
    assert page.locator("#choice-line").inner_text() == f"Ваш выбор: {person['name']}"
    screenshot(page, "ru-1-choose-phone")  # the chosen card and the sticky vote bar
    screenshot(page, "ru-1-choose-phone-full", full_page=True)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "ru-0-top-phone")

    page.get_by_role("button", name="Проголосовать").click()
    page.get_by_role("heading", name="Проверьте свой выбор").wait_for()
    assert page.locator("#confirm-name").inner_text() == person["name"]
    assert "изменить или отозвать его нельзя" in page.locator("#step-confirm").inner_text()
    screenshot(page, "ru-2-confirm-phone")

    page.get_by_role("button", name="Подписать и проголосовать").click()
    page.get_by_role("heading", name="Спасибо! Ваш голос принят").wait_for()
    receipt = page.get_by_label("Код квитанции — сохраните его").inner_text()
    assert RECEIPT.fullmatch(receipt)
    page.get_by_role("button", name="Скопировать").click()
    page.get_by_text("Код скопирован.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == receipt
    screenshot(page, "ru-3-receipt-phone")

    page.get_by_role("button", name="Проверить", exact=True).click()
    result = page.locator("#check-result")
    result.get_by_text(f"Голос найден: {person['name']}").wait_for()
    assert "Голос будет подсчитан после окончания голосования." in result.inner_text()
    screenshot(page, "ru-4-check-phone", full_page=True)


def test_whole_vote_in_kazakh_on_a_desktop(site, open_page):
    person = nominee(site, "family-002")
    page = open_page(site.url, device=DESKTOP)
    page.get_by_role("button", name="Қаз").click()
    assert page.locator("html").get_attribute("lang") == "kk"
    page.get_by_role("heading", level=1, name="«Үздік әлеуметтік қызметкер» республикалық байқауы (демо)").wait_for()
    assert page.locator("#countdown").inner_text().startswith("Дауыс беру аяқталғанға дейін:")
    page.get_by_label("Өңір").select_option(label=person["region"]["kk"])  # the region's Kazakh name
    card = page.locator(".nominee", has_text=person["name"])
    assert card.locator(".region").inner_text() == person["region"]["kk"]
    assert card.locator(".org").inner_text() == person["organization"]["kk"]
    choose(page, person["name"])
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "kk-1-choose-desktop")

    page.get_by_role("button", name="Дауыс беру", exact=True).click()
    page.get_by_role("heading", name="Таңдауыңызды тексеріңіз").wait_for()
    assert "«Отбасылар мен балаларға қызмет көрсететін үздік маман» номинациясы" in page.locator(
        "#confirm-details").inner_text()
    screenshot(page, "kk-2-confirm-desktop")

    page.get_by_role("button", name="Қол қою және дауыс беру").click()
    page.get_by_role("heading", name="Рақмет! Дауысыңыз қабылданды").wait_for()
    assert RECEIPT.fullmatch(page.locator("#receipt").inner_text())
    assert page.locator("#done-choice").inner_text() == person["name"]
    assert re.fullmatch(r"Дауыс берілген уақыт: 20\d\d ж\. \d{1,2} [а-яәғқңөұүһі]+, \d\d:\d\d \(Астана уақыты\)\.",
                        page.locator("#done-time").inner_text())
    screenshot(page, "kk-3-receipt-desktop")


def test_the_same_person_cannot_vote_twice(site, open_page, standin):
    standin("choose", iin="900101300777")
    first = nominee(site, "home-care-002")
    page = open_page(site.url)
    choose(page, first["name"])
    page.get_by_role("button", name="Проголосовать").click()
    page.get_by_role("button", name="Подписать и проголосовать").click()
    page.get_by_role("heading", name="Спасибо! Ваш голос принят").wait_for()

    page = open_page(site.url)
    choose(page, nominee(site, "education-003")["name"])
    page.get_by_role("button", name="Проголосовать").click()
    page.get_by_role("button", name="Подписать и проголосовать").click()
    problem = page.get_by_role("alert").filter(has_text="Вы уже проголосовали")
    problem.wait_for()
    assert "Изменить его нельзя" in problem.inner_text()
    assert page.get_by_role("button", name="Подписать и проголосовать").is_hidden()
    assert page.get_by_role("button", name="Изменить выбор").is_hidden()  # it cannot be changed: not offered
    screenshot(page, "already-voted-phone")
    problem.get_by_role("button", name="Проверить свой голос").click()
    assert page.evaluate("document.activeElement.id") == "check-receipt"


def test_already_voted_offers_the_voters_own_receipt_by_a_signed_receipt_request(site, open_page, standin):
    standin("choose", iin="900101300779")
    page = open_page(site.url, device=DESKTOP)
    choose(page, nominee(site, "home-care-003")["name"])
    page.get_by_role("button", name="Проголосовать").click()
    page.get_by_role("button", name="Подписать и проголосовать").click()
    page.get_by_role("heading", name="Спасибо! Ваш голос принят").wait_for()
    first = page.locator("#receipt").inner_text()

    page = open_page(site.url, device=DESKTOP)
    choose(page, nominee(site, "education-002")["name"])
    page.get_by_role("button", name="Проголосовать").click()
    page.get_by_role("button", name="Подписать и проголосовать").click()
    problem = page.get_by_role("alert").filter(has_text="Вы уже проголосовали")
    with page.expect_request(lambda r: r.url.endswith("/receipt-requests")):
        problem.get_by_role("button", name="Показать мою квитанцию").click()
    page.get_by_role("heading", name="Ваш голос уже записан").wait_for()
    assert page.locator("#receipt").inner_text() == first
    assert page.locator("#done-choice").inner_text() == nominee(site, "home-care-003")["name"]
    assert "Изменить голос нельзя" in page.locator("#done-repeat").inner_text()
    screenshot(page, "receipt-recovered-desktop")


def test_signing_the_same_choice_again_shows_the_same_receipt(site, open_page, standin):
    standin("choose", iin="900101300888")
    person = nominee(site, "day-care-003")
    receipts = []
    for _ in range(2):
        page = open_page(site.url)
        choose(page, person["name"])
        page.get_by_role("button", name="Проголосовать").click()
        page.get_by_role("button", name="Подписать и проголосовать").click()
        page.get_by_role("heading", name="Спасибо! Ваш голос принят").wait_for()
        receipts.append(page.locator("#receipt").inner_text())
    assert receipts[0] == receipts[1]
    assert page.get_by_text("Этот голос уже был записан раньше — вот та же квитанция.").is_visible()


def test_ncalayer_not_running_says_so_with_a_link(site_without_ncalayer, site, open_page):
    page = open_page(site_without_ncalayer)
    choose(page, nominee(site, "residential-002")["name"])
    page.get_by_role("button", name="Проголосовать").click()
    page.get_by_role("button", name="Подписать и проголосовать").click()
    problem = page.get_by_role("alert").filter(has_text="NCALayer не запущен")
    problem.wait_for()
    link = problem.get_by_role("link", name=re.compile("Скачать NCALayer на pki.gov.kz"))
    assert link.get_attribute("href") == "https://pki.gov.kz/ncalayer/"
    assert problem.get_by_role("button", name="Попробовать снова").is_visible()
    screenshot(page, "ncalayer-missing-phone")


def test_busy_service_gets_the_signed_ballot_again_without_signing_again(site, open_page):
    page = open_page(site.url)
    sockets, posts = [], []
    page.on("websocket", lambda socket: sockets.append(socket.url))

    def busy_once(route):
        posts.append(route.request.post_data)
        if len(posts) == 1:
            route.fulfill(status=503, headers={"Retry-After": "3"},
                          json={"error": "unavailable", "message": "busy"})
        else:
            route.continue_()

    page.route(f"**/contests/{DEMO_ID}/votes", busy_once)
    choose(page, nominee(site, "employment-002")["name"])
    page.get_by_role("button", name="Проголосовать").click()
    page.get_by_role("button", name="Подписать и проголосовать").click()
    problem = page.get_by_role("alert").filter(has_text="Сервис сейчас перегружен")
    problem.wait_for()
    assert "Подождите 3 с" in problem.inner_text()
    problem.get_by_role("button", name="Отправить снова").click()
    page.get_by_role("heading", name="Спасибо! Ваш голос принят").wait_for()
    assert len(sockets) == 1 and posts[0] == posts[1]  # signed once, sent twice


@pytest.mark.parametrize(("choice", "title"), [
    ({"cancel": True}, "Подпись отменена"),
    ({"profile": "auth"}, "Выбран ключ для входа (AUTH)"),
    ({"profile": "legal-entity"}, "Это ключ юридического лица"),
    ({"profile": "expired"}, "Срок действия ЭЦП истёк"),
    ({"profile": "revoked"}, "ЭЦП отозвана"),
])
def test_refused_signatures_are_explained(site, open_page, standin, choice, title):
    standin("choose", **choice)
    page = open_page(site.url)
    choose(page, nominee(site, "health-003")["name"])
    page.get_by_role("button", name="Проголосовать").click()
    page.get_by_role("button", name="Подписать и проголосовать").click()
    problem = page.get_by_role("alert").filter(has_text=title)
    problem.wait_for()
    assert problem.get_by_role("button", name="Попробовать снова").is_visible()


def test_closed_contest_says_so_and_that_results_are_not_published(site, open_page):
    page = open_page(f"{site.url}?contest={CLOSED_ID}")
    page.get_by_role("heading", level=1, name="Прошедший конкурс (закрыт)").wait_for()
    assert page.locator("#phase").inner_text() == "Голосование завершено. Голоса больше не принимаются."
    page.get_by_text("Итоги ещё не опубликованы.").wait_for()
    assert page.get_by_role("radio").count() == 0
    assert page.locator("#countdown").is_hidden()
    screenshot(page, "closed-phone", full_page=True)


def test_published_results_are_shown_as_bars(site, open_page, browser):
    results = {"contest": CLOSED_ID, "status": "final", "closes_at": "2026-03-15T09:00:00.000000Z",
               "tallied_at": "2026-03-15T09:05:00.000000Z", "total": 4, "digest": "ab" * 32,
               "nominations": [
                   {"id": "home-care", "title": {"ru": "Надомное обслуживание"}, "total": 3,
                    "nominees": [{"id": "hc-002", "name": "Марат Оспанов", "votes": 2},
                                 {"id": "hc-001", "name": "Айгүл Сейтқали", "votes": 1}]},
                   {"id": "rehab", "title": {"ru": "Реабилитация"}, "total": 1,
                    "nominees": [{"id": "rh-001", "name": "Елена Ким", "votes": 1}]}]}
    page = open_page("about:blank", device=DESKTOP)
    # The page renders whatever GET /contests/{id}/results publishes; here it is fixed.
    page.route(f"**/contests/{CLOSED_ID}/results", lambda route: route.fulfill(json=results))
    page.goto(f"{site.url}?contest={CLOSED_ID}")
    page.get_by_text("Окончательные итоги").wait_for()
    assert "Всего голосов: 4" in page.locator("#results").inner_text()
    assert page.locator(".bar-row").first.inner_text().replace("\xa0", " ").endswith("2 голоса · 66,7 %")
    widths = page.locator(".bar-fill").evaluate_all("bars => bars.map(b => b.style.width)")
    assert widths == ["66.67%", "33.33%", "100%"]
    screenshot(page, "results-desktop", full_page=True)


def test_upcoming_contest_says_when_it_opens(site, open_page):
    page = open_page(f"{site.url}?contest={UPCOMING_ID}")
    page.locator("#phase").get_by_text("Голосование ещё не началось").wait_for()  # rendered after GET /contests/{id}
    assert page.locator("#phase").inner_text().startswith("Голосование ещё не началось. Оно откроется ")
    assert page.locator("#countdown").inner_text().startswith("До начала голосования: 1 день 2 часа")
    assert page.get_by_role("radio").count() == 0
    screenshot(page, "upcoming-phone")


def test_language_choice_is_remembered(site, open_page):
    page = open_page(site.url)
    page.get_by_role("button", name="Eng").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Eng").get_attribute("aria-pressed") == "true"
    page.reload()
    page.get_by_role("heading", level=1, name="National contest “Best social worker” (demo)").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_label("Search by name").is_visible()


def test_region_filter_hides_other_regions(site, open_page):
    people = everyone(site)
    in_astana = sum(p["region"]["ru"] == "город Астана" for p in people)
    page = open_page(site.url, device=DESKTOP)
    page.get_by_label("Регион").select_option(label="город Астана")
    page.locator("#found").get_by_text(f"Показано кандидатов: {in_astana} из {len(people)}").wait_for()
    visible = page.locator(".nominee:visible .region").all_inner_texts()
    assert visible == ["город Астана"] * in_astana


def test_a_vote_can_be_chosen_and_confirmed_with_the_keyboard(site, open_page):
    page = open_page(site.url, device=DESKTOP)
    page.get_by_role("radio").first.wait_for()
    page.get_by_label("Регион").focus()
    page.keyboard.press("Tab")  # the list of nominations (a disclosure)
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Tab")  # into the one radio group of the whole contest
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # the next candidate: arrows move the one choice
    focused = page.evaluate("document.activeElement.value")
    assert focused == "home-care-002"
    outline = page.evaluate("getComputedStyle(document.activeElement.closest('.nominee')).outlineStyle")
    assert outline == "solid"  # the focus is visible
    assert page.locator("input[name=nominee]:checked").count() == 1
    page.keyboard.press("Enter")  # submits the form: the confirmation step
    page.get_by_role("heading", name="Проверьте свой выбор").wait_for()
    assert page.locator("#confirm-name").inner_text() == nominee(site, "home-care-002")["name"]


def test_a_nomination_of_369_renders_and_filters_to_one(site, open_page):
    # Speed is for benchmarks, not for tests: this checks that all 369 render and search finds one.
    total = BIG_NOMINATION + 1  # and the second nomination's one nominee
    page = open_page(f"{site.url}?contest={BIG_ID}")
    page.get_by_role("radio", name=f"{person_name(7)} 007").wait_for()
    assert page.get_by_role("radio").count() == total
    page.get_by_label("Поиск по имени").fill("садыков 250")  # Садықов Тимур 250, typed on a Russian keyboard
    page.locator("#found").get_by_text(f"Показано кандидатов: 1 из {total}").wait_for()
    choose(page, page.locator(".nominee:visible label").inner_text())
    screenshot(page, "big-nomination-search-phone")


COUNT_CONTEST_LOADS = """
window.contestLoads = 0;
var realFetch = window.fetch;
window.fetch = function (path) {
  if (String(path).indexOf('contests/') === 0 && String(path).indexOf('/', 9) === -1) window.contestLoads += 1;
  return realFetch.apply(this, arguments);
};
Math.random = function () { return 0.5; };  // this page's moment: the middle of the spread
"""


def test_at_opening_each_page_reloads_the_contest_at_its_own_moment_of_the_next_twenty_seconds(site, browser):
    from datetime import UTC, datetime, timedelta

    from tests.browser.conftest import add_contest
    from tests.conftest import contest_file

    now = datetime.now(UTC)
    contest_id = f"opens-soon-{now:%H%M%S%f}"
    add_contest(site.stack, contest_file(contest_id, opens=now + timedelta(seconds=30), closes=now + timedelta(days=1)))
    context = browser.new_context(locale="ru-RU", **DESKTOP)
    try:
        page = context.new_page()
        page.add_init_script(COUNT_CONTEST_LOADS)
        page.clock.install()  # the page's timers and Date, moved by the test; the server keeps its own
        page.goto(f"{site.url}?contest={contest_id}")
        page.locator("#phase").get_by_text("Голосование ещё не началось").wait_for()
        assert page.evaluate("window.contestLoads") == 1
        page.clock.fast_forward("00:31")  # past opens_at: the countdown's tick sees it
        page.clock.fast_forward(9_000)
        assert page.evaluate("window.contestLoads") == 1  # not at the second of opening
        page.clock.fast_forward(1_500)
        assert page.evaluate("window.contestLoads") == 2  # 0.5 × 20 s after it
    finally:
        context.close()


def test_devtools_vote_on_a_closed_contest_prints_the_services_refusal(site):
    from devtools.vote import cast

    assert cast(site.stack.api, CLOSED_ID, None, None, site.stack.ncalayer) == (
        403, {"error": "voting_closed", "message": "Голоса больше не принимаются. Итоги появятся на этой странице "
                                                   "после публикации."})
