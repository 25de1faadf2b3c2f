"""What a Kazakh and a Russian reader see, in the real browser (Debian's Chromium, whose ICU has no
Kazakh data): numbers and percents by each language's marks, plural forms, Astana time from the
fixed UTC+5 offset whatever the browser's zone, search that folds Kazakh letters, Latin spellings
and word order — the pages' one shared script (common.js) — and the results, the demo and the
page's words as they read."""

from __future__ import annotations

import pytest

from tests.browser.conftest import CLOSED_ID, DESKTOP, screenshot
from tests.browser.test_voting_page import everyone

pytestmark = pytest.mark.integration

NBSP = "\u00a0"


@pytest.fixture
def common(site, open_page):
    """VotingCommon as the voting page loaded it: call(name, *args)."""
    page = open_page(site.url, device=DESKTOP)
    page.wait_for_function("() => window.VotingCommon")
    return lambda name, *args: page.evaluate(f"args => VotingCommon.{name}(...args)", list(args))


@pytest.mark.parametrize(("lang", "number", "percent"), [
    ("kk", f"1{NBSP}305", "31,6%"),
    ("ru", f"1{NBSP}305", f"31,6{NBSP}%"),
    ("en", "1,305", "31.6%"),
])
def test_numbers_and_percents_use_the_languages_own_marks(common, lang, number, percent):
    assert common("number", 1305, lang) == number
    assert common("percent", 0.316, lang) == percent


def test_a_percent_keeps_at_most_one_decimal_and_drops_a_trailing_zero(common):
    assert [common("percent", share, "ru") for share in (0.5, 2 / 3, 1, 0)] == [
        f"50{NBSP}%", f"66,7{NBSP}%", f"100{NBSP}%", f"0{NBSP}%"]
    assert common("number", 1234567.891, "kk", 2) == f"1{NBSP}234{NBSP}567,89"


@pytest.mark.parametrize(("n", "form"), [(1, "one"), (21, "one"), (101, "one"), (2, "few"), (3, "few"), (24, "few"),
                                         (5, "many"), (11, "many"), (12, "many"), (14, "many"), (0, "many"),
                                         (111, "many"), (1.5, "other")])
def test_russian_counts_take_their_plural_form(common, n, form):
    assert common("pluralForm", n, "ru") == form


def test_plural_texts_read_right_in_each_language(common):
    votes = {"ru": {"one": "{n} голос", "few": "{n} голоса", "many": "{n} голосов", "other": "{n} голоса"},
             "kk": {"one": "{n} дауыс", "other": "{n} дауыс"}, "en": {"one": "{n} vote", "other": "{n} votes"}}
    assert [common("plural", votes["ru"], n, "ru") for n in (1, 3, 5, 21, 1305)] == [
        "1 голос", "3 голоса", "5 голосов", "21 голос", f"1{NBSP}305 голосов"]
    assert [common("plural", votes["kk"], n, "kk") for n in (1, 3)] == ["1 дауыс", "3 дауыс"]
    assert [common("plural", votes["en"], n, "en") for n in (1, 3)] == ["1 vote", "3 votes"]


def test_a_word_missing_in_a_language_is_said_in_russian_with_its_values_filled(common):
    texts = {"kk": {"hello": "Сәлем, {name}"}, "ru": {"hello": "Привет, {name}", "bye": "Пока, {name}"}}
    assert common("text", texts, "kk", "hello", {"name": "Айгүл"}) == "Сәлем, Айгүл"
    assert common("text", texts, "kk", "bye", {"name": "Айгүл"}) == "Пока, Айгүл"


def test_a_value_by_language_falls_back_to_russian_then_to_any_language(common):
    assert common("local", {"kk": "Алматы", "ru": "Алма-Ата", "en": "Almaty"}, "en") == "Almaty"
    assert common("local", {"kk": "Алматы", "ru": "Алма-Ата"}, "en") == "Алма-Ата"
    assert common("local", {"kk": "Алматы"}, "ru") == "Алматы"
    assert common("local", "Astana Hub", "kk") == "Astana Hub"
    assert common("local", None, "kk") == ""


def test_astana_time_comes_from_the_fixed_offset_not_the_browsers_zone(common):
    # The context's zone is Europe/Berlin; 2024-03-01 is the day Kazakhstan moved to one zone, UTC+5.
    moment = 1709251200000  # 2024-03-01T00:00:00Z
    assert common("dateTime", moment, "ru") == "1 марта 2024 г., 05:00"
    assert common("dateTime", moment, "kk") == "2024 ж. 1 наурыз, 05:00"
    assert common("dateTime", moment, "en") == "1 March 2024, 05:00"
    assert common("shortDateTime", moment, "kk") == "01.03.2024, 05:00"


def test_the_last_day_of_voting_reads_as_kazakh_grammar_wants_it(common):
    last_day = 1796583600000 - 1  # just before 2026-12-07 00:00 Astana time
    assert common("date", last_day, "kk", True) == "2026 ж. 6 желтоқсанды"
    assert common("isAstanaMidnight", last_day + 1) is True


@pytest.mark.parametrize(("query", "found"), [
    ("сейткали ерлан", True), ("Ерлан Сейтқали", True), ("ерлан сейткали", True),  # either order, Kazakh letters
    ("Seitqali Yerlan", True), ("seytkali erlan", True),  # Latin spellings of the Cyrillic name
    ("ерлан ахметов", False),
])
def test_search_finds_a_name_in_either_order_by_its_kazakh_and_latin_spellings(common, query, found):
    assert common("matches", common("fold", "Сейтқали Ерлан"), query) is found


def test_every_kazakh_letter_folds_to_what_a_russian_keyboard_types(common):
    assert common("fold", "әғқңөұүһі") == common("fold", "агкноуухи")


def test_the_kazakh_results_page_shows_numbers_as_kazakhstan_writes_them(site, open_page):
    results = {"contest": CLOSED_ID, "status": "final", "closes_at": "2026-03-15T09:00:00.000000Z",
               "tallied_at": "2026-03-15T09:05:00.000000Z", "total": 1305, "digest": "ab" * 32,
               "nominations": [{"id": "home-care", "title": {"kk": "Үйде", "ru": "На дому"}, "total": 1305,
                                "nominees": [{"id": "hc-002", "name": "Оспанов Марат", "votes": 412},
                                             {"id": "hc-001", "name": "Сейтқали Айгүл", "votes": 893}]}]}
    page = open_page("about:blank", device=DESKTOP, locale="kk-KZ")
    page.route(f"**/contests/{CLOSED_ID}/results", lambda route: route.fulfill(json=results))
    page.goto(f"{site.url}?contest={CLOSED_ID}")
    page.get_by_role("button", name="Қаз").click()
    page.get_by_text("Түпкілікті қорытынды").wait_for()
    assert f"Барлық дауыс саны: 1{NBSP}305" in page.locator("#results").inner_text()
    assert page.locator(".bar-value").first.inner_text() == "412 дауыс · 31,6%"
    page.get_by_role("button", name="Рус").click()
    assert page.locator(".bar-value").first.inner_text() == f"412 голосов · 31,6{NBSP}%"
    screenshot(page, "kk-results-numbers-desktop", full_page=True)


def test_ties_for_first_place_are_shown_as_ties(site, open_page):
    results = {"contest": CLOSED_ID, "status": "final", "closes_at": "2026-03-15T09:00:00.000000Z",
               "tallied_at": "2026-03-15T09:05:00.000000Z", "total": 7, "digest": "ab" * 32,
               "nominations": [{"id": "home-care", "title": {"ru": "На дому"}, "total": 7,
                                "nominees": [{"id": "hc-001", "name": "Ли Ольга", "votes": 3},
                                             {"id": "hc-002", "name": "Оспанов Марат", "votes": 3},
                                             {"id": "hc-003", "name": "Ким Андрей", "votes": 1}]}]}
    page = open_page("about:blank")
    page.route(f"**/contests/{CLOSED_ID}/results", lambda route: route.fulfill(json=results))
    page.goto(f"{site.url}?contest={CLOSED_ID}")
    page.get_by_text("Поровну голосов у лидеров: Ли Ольга, Оспанов Марат.").wait_for()
    assert page.locator(".bar-place").all_inner_texts() == ["1-е место · поровну", "1-е место · поровну",
                                                            "3-е место"]
    # A short name and a long one lay out alike: the count on its own line under the name.
    lines = page.locator(".bar-label").evaluate_all(
        "rows => rows.map(r => r.querySelector('.bar-value').getBoundingClientRect().top > "
        "r.querySelector('.bar-name').getBoundingClientRect().top)")
    assert lines == [True, True, True]
    screenshot(page, "results-tie-phone", full_page=True)


def test_the_demo_reads_as_real_to_a_kazakh_reader(site, open_page):
    people = everyone(site)
    women = {"Айгүл", "Гүлнар", "Сәуле", "Дина", "Әсел", "Жанар", "Алия", "Мадина", "Камила", "Динара", "Ақмарал",
             "Гүлмира", "Елена", "Ольга", "Ирина", "Людмила", "Наталья", "Татьяна"}
    for person in people:
        surname, given = person["name"].split(" ")
        if surname.endswith(("ов", "ев", "ова", "ева")):
            assert surname.endswith(("ова", "ева")) == (given in women), person["name"]
    assert {"область Жетісу", "область Абай", "область Ұлытау"} <= {p["region"]["ru"] for p in people}
    page = open_page(site.url, device=DESKTOP)
    page.get_by_role("button", name="Қаз").click()
    card = page.locator(".nominee").first
    assert card.locator(".region").inner_text().endswith(("облысы", "қаласы"))
    assert "Еңбек өтілі" in card.locator(".about").inner_text()
    page.get_by_role("button", name="Рус").click()
    assert " 21 год." in page.locator("#nominations").inner_text() or " 22 года." in page.locator(
        "#nominations").inner_text()
    assert " лет." in page.locator("#nominations").inner_text()


def test_kazakh_wording_is_the_ncas_and_reads_naturally(site, open_page):
    contest = site.get(f"/contests/{CLOSED_ID}")
    contest["closes_at"] = "2026-12-06T19:00:00.000000Z"  # voting until 6 December inclusive, Astana time
    page = open_page("about:blank", device=DESKTOP)
    page.route(f"**/contests/{CLOSED_ID}", lambda route: route.fulfill(json=contest))
    page.goto(f"{site.url}?contest={CLOSED_ID}")
    page.get_by_role("button", name="Қаз").click()
    page.locator("#contest-title").wait_for()
    assert page.locator("#closes").inner_text() == "2026 ж. 6 желтоқсанды қоса алғанда"
    assert "ҚР ҰКО ЭЦҚ-сымен" in page.locator("footer").inner_text()
    assert "уақытымен" not in page.locator(".tz").inner_text()
    page.get_by_role("button", name="Рус").click()
    assert page.locator("#closes").inner_text() == "6 декабря 2026 г. включительно"


def test_who_runs_the_contest_and_what_is_kept_is_said_in_three_languages(site, open_page):
    page = open_page(site.url)
    for button, organiser, notice, rules in (
            ("Рус", "Организатор: Министерство труда", "Подписанный бюллетень", "Правила конкурса"),
            ("Қаз", "Ұйымдастырушы: Қазақстан Республикасы Еңбек", "шифрланған күйде", "Байқау ережесі"),
            ("Eng", "Organiser: Ministry of Labour", "kept only encrypted", "Contest rules")):
        page.get_by_role("button", name=button).click()
        about = page.locator("#about")
        about.get_by_text(organiser).wait_for()  # once the contest has loaded
        assert notice in about.inner_text()
        assert about.get_by_role("link", name=rules).get_attribute("href").startswith("https://www.gov.kz/")
    assert page.locator("#about a[href^='tel:']").get_attribute("href") == "tel:+77172000000"
    page.locator("#about").scroll_into_view_if_needed()
    screenshot(page, "about-phone")


def test_the_icon_answers_and_no_request_of_either_page_fails(site, open_page):
    failed = []
    page = open_page("about:blank")
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(site.url)
    page.locator("#contest-title").wait_for()
    page.goto(site.stack.api + "/admin")
    page.locator("#signin").wait_for()
    assert failed == []
    assert page.evaluate("fetch('favicon.ico').then(r => r.status)") == 200


def test_a_nominee_without_a_vote_holds_no_place(common):
    assert common("places", [3, 3, 1, 0, 0]) == [{"place": 1, "tied": True}, {"place": 1, "tied": True},
                                                 {"place": 3, "tied": False}, {"place": None, "tied": False},
                                                 {"place": None, "tied": False}]
