"""The contest file: validation naming the field, UTC times, the window and the freeze rules."""

import copy
from datetime import timedelta

import pytest

from chalicelib.voting.contest import CLOSED, OPEN, UPCOMING, ContestError, check_update, parse_contest
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


def test_before_opening_anything_may_change():
    old = parse_contest(contest_file(opens=NOW + timedelta(days=1)))
    new = parse_contest(edited(["nominations", 0, "nominees", 0, "name"], "Другое имя"))
    check_update(old, new, NOW)


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
