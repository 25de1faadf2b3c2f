"""The contest file: validation naming the field, UTC times, the window and the freeze rules."""

import copy
import json
from datetime import timedelta

import pytest

from chalicelib.voting.contest import CLOSED, OPEN, UPCOMING, ContestError, check_update, parse_contest
from chalicelib.voting.languages import in_language
from tests.conftest import NOW, contest_file


def field_of(document) -> str:
    with pytest.raises(ContestError) as caught:
        parse_contest(document)
    return caught.value.field


def edited(path: list, value=None, delete: bool = False) -> dict:
    document = copy.deepcopy(contest_file())
    target = document
    for step in path[:-1]:
        target = target[step]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


def test_times_with_any_offset_are_stored_in_utc():
    contest = parse_contest(edited(["opens_at"], "2025-10-01T00:00:00+05:00"))
    assert contest.opens_at.isoformat() == "2025-09-30T19:00:00+00:00"
    assert contest.to_document()["opens_at"] == "2025-09-30T19:00:00.000000Z"


def test_z_suffix_means_utc():
    assert parse_contest(edited(["opens_at"], "2025-10-01T00:00:00Z")).opens_at.hour == 0


@pytest.mark.parametrize(("path", "value", "field"), [
    (["id"], "Bad Id!", "id"),
    (["opens_at"], "2025-10-01T00:00:00", "opens_at"),
    (["opens_at"], "yesterday", "opens_at"),
    (["closes_at"], "2020-01-01T00:00:00+05:00", "closes_at"),
    (["results_visibility"], "everyone", "results_visibility"),
    (["title"], {"ru": "x"}, "title.kk"),
    (["nominations"], [], "nominations"),
    (["nominations", 0, "id"], "", "nominations[0].id"),
    (["nominations", 1, "id"], "home-care", "nominations[1].id"),
    (["nominations", 0, "nominees", 1, "id"], "hc-001", "nominations[0].nominees[1].id"),
    (["nominations", 1, "nominees", 0, "id"], "hc-001", "nominations[1].nominees[0].id"),
    (["nominations", 0, "nominees", 0, "name"], "  ", "nominations[0].nominees[0].name"),
    (["nominations", 0, "nominees", 0, "description"], {"de": "x"}, "nominations[0].nominees[0].description"),
    (["nominations", 0, "nominees", 0, "photo"], "x.jpg", "nominations[0].nominees[0].photo"),
    (["extra"], 1, "extra"),
])
def test_bad_field_is_named(path, value, field):
    assert field_of(edited(path, value)) == field


def test_missing_field_is_named():
    assert field_of(edited(["nominations", 0, "nominees", 0, "region"], delete=True)) == \
        "nominations[0].nominees[0].region"


def test_not_an_object_is_refused():
    assert field_of([1, 2]) == "contest"


def test_window_is_opens_inclusive_closes_exclusive():
    contest = parse_contest(contest_file(opens=NOW, closes=NOW + timedelta(days=1)))
    assert contest.status_at(NOW - timedelta(microseconds=1)) == UPCOMING
    assert contest.status_at(NOW) == OPEN
    assert contest.status_at(NOW + timedelta(days=1)) == CLOSED


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00",
                                    "9999-12-30T00:00:00Z", "1999-12-31T23:59:59Z", "2100-01-01T00:00:00Z"])
def test_a_time_outside_2000_to_2099_is_refused_by_name(moment):
    document = contest_file()
    document["opens_at"] = moment
    with pytest.raises(ContestError) as caught:
        parse_contest(document)
    assert (caught.value.field, caught.value.problem) == ("opens_at", "must fall in 2000–2099")


@pytest.mark.parametrize("name", ["   ", "\u200b", "\u200b\u2060 \u00a0", "\x00\t"])
def test_a_nominee_name_nobody_can_see_is_refused(name):
    document = contest_file()
    document["nominations"][0]["nominees"][0]["name"] = name
    with pytest.raises(ContestError, match="must be a non-empty text") as caught:
        parse_contest(document)
    assert caught.value.field.endswith(".name")


def test_a_lone_surrogate_in_a_text_is_refused_by_name_and_an_emoji_is_not():
    document = contest_file()
    document["nominations"][0]["nominees"][0]["name"] = json.loads('"A\\udc80"')
    with pytest.raises(ContestError, match="surrogate") as caught:
        parse_contest(document)
    assert caught.value.field == "nominations[0].nominees[0].name"
    document["nominations"][0]["nominees"][0]["name"] = json.loads('"A \\ud83d\\ude00"')
    assert parse_contest(document).nominations[0].nominees[0].name == "A 😀"


def test_voting_lasts_at_most_366_days():
    parse_contest(contest_file(opens=NOW, closes=NOW + timedelta(days=366)))
    with pytest.raises(ContestError, match="at most 366 days") as caught:
        parse_contest(contest_file(opens=NOW, closes=NOW + timedelta(days=366, seconds=1)))
    assert caught.value.field == "closes_at"


def test_before_opening_anything_may_change():
    old = parse_contest(contest_file(opens=NOW + timedelta(days=1)))
    new = parse_contest(edited(["nominations", 0, "nominees", 0, "name"], "Другое имя"))
    check_update(old, new, NOW)


NOTICE = timedelta(seconds=10)


def without_the_last_nominee(opens):
    document = contest_file(opens=opens)
    document["nominations"][0]["nominees"].pop()
    return parse_contest(document)


@pytest.mark.parametrize(("before", "frozen"), [(9, True), (10, True), (11, False)])
def test_the_ballot_paper_freezes_the_notice_before_opening(before, frozen):
    opens = NOW + timedelta(seconds=before)
    old = parse_contest(contest_file(opens=opens))
    if frozen:
        with pytest.raises(ContestError, match="opens within 10 s: only closes_at"):
            check_update(old, without_the_last_nominee(opens), NOW, NOTICE)
    else:
        check_update(old, without_the_last_nominee(opens), NOW, NOTICE)


def test_within_the_notice_before_opening_the_opening_cannot_be_postponed():
    old = parse_contest(contest_file(opens=NOW + timedelta(seconds=9)))
    with pytest.raises(ContestError, match="only closes_at"):
        check_update(old, parse_contest(contest_file(opens=NOW + timedelta(hours=1))), NOW, NOTICE)


def test_after_opening_nominees_are_frozen():
    old = parse_contest(contest_file())
    new = parse_contest(edited(["nominations", 0, "nominees", 0, "name"], "Другое имя"))
    with pytest.raises(ContestError, match="only closes_at"):
        check_update(old, new, NOW)


def test_after_opening_closes_at_may_move_forward():
    old = parse_contest(contest_file())
    check_update(old, parse_contest(contest_file(closes=NOW + timedelta(days=9))), NOW)


def test_closes_at_never_moves_into_the_past():
    old = parse_contest(contest_file())
    with pytest.raises(ContestError) as caught:
        check_update(old, parse_contest(contest_file(closes=NOW - timedelta(minutes=1))), NOW)
    assert caught.value.field == "closes_at"


# --- a nominee's region and organisation in three languages; who runs the contest ---------------


KAZAKH_REGION = {"kk": "Жетісу облысы", "ru": "область Жетісу", "en": "Zhetysu Region"}


def test_region_and_organization_may_be_one_text_or_the_three_languages():
    document = edited(["nominations", 0, "nominees", 0, "region"], KAZAKH_REGION)
    nominee = parse_contest(document).nominations[0].nominees[0]
    assert [in_language(nominee.region, lang) for lang in ("kk", "ru", "en")] == [
        "Жетісу облысы", "область Жетісу", "Zhetysu Region"]
    assert in_language(nominee.organization, "kk") == "ТЦСО №1"  # a text is the same in every language
    assert nominee.region_key == "область Жетісу"
    assert parse_contest(document).to_document()["nominations"][0]["nominees"][0]["region"] == KAZAKH_REGION


def test_a_contest_file_of_texts_only_reads_and_writes_as_before():
    assert parse_contest(contest_file()).to_document()["nominations"][0]["nominees"][0]["region"] == "Алматы"
    assert "organiser" not in parse_contest(contest_file()).to_document()


@pytest.mark.parametrize(("path", "value", "field"), [
    (["nominations", 0, "nominees", 0, "region"], {"kk": "x", "ru": "y"}, "nominations[0].nominees[0].region.en"),
    (["nominations", 0, "nominees", 0, "organization"], {"kk": "x", "ru": "y", "en": " "},
     "nominations[0].nominees[0].organization.en"),
    (["organiser"], {"ru": "Министерство"}, "organiser.kk"),
    (["rules_url"], "http://example.kz/rules", "rules_url"),
    (["rules_url"], {"kk": "https://a.kz", "ru": "https://a.kz", "en": "javascript:alert(1)"}, "rules_url.en"),
    (["personal_data"], "не объект", "personal_data"),
    (["help"], {}, "help"),
    (["help"], {"hours": {"kk": "09-18", "ru": "09-18", "en": "9 to 6"}}, "help"),
    (["help"], {"phone": "call us"}, "help.phone"),
    (["help"], {"email": "nobody"}, "help.email"),
    (["help"], {"phone": "1414", "fax": "1"}, "help.fax"),
])
def test_bad_about_fields_are_named(path, value, field):
    assert field_of(edited(path, value)) == field


def test_who_runs_the_contest_is_kept_in_three_languages():
    document = contest_file()
    document.update({
        "organiser": {"kk": "ҚР Еңбек министрлігі", "ru": "Минтруда РК", "en": "Ministry of Labour"},
        "rules_url": "https://www.gov.kz/memleket/entities/enbek",
        "personal_data": {"kk": "Не сақталады", "ru": "Что хранится", "en": "What is kept"},
        "help": {"phone": "+7 7172 00 00 00", "email": "konkurs@example.kz",
                 "hours": {"kk": "9–18", "ru": "9–18", "en": "9–18"}},
    })
    stored = parse_contest(document).to_document()
    assert {name: stored[name] for name in ("organiser", "rules_url", "personal_data", "help")} == {
        name: document[name] for name in ("organiser", "rules_url", "personal_data", "help")}


def test_once_voting_has_opened_the_help_contact_may_still_change_but_not_the_notice():
    opened = parse_contest(contest_file())
    with_help = edited(["help"], {"phone": "1414"})
    check_update(opened, parse_contest(with_help), NOW)  # a call centre's number may have to change
    with pytest.raises(ContestError):
        check_update(opened, parse_contest(edited(["personal_data"], {"kk": "a", "ru": "b", "en": "c"})), NOW)
