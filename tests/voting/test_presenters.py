"""What the public API shows of a contest: the ballot paper, its window and an early close, when
the results are expected, and who runs it. Pure."""

from datetime import timedelta

from chalicelib.voting.contest import parse_contest
from chalicelib.voting.presenters import contest_details, contest_summary
from chalicelib.voting.records import STATE_CLOSED, STATE_SCHEDULED, STATE_TALLIED, ContestSummary, StoredContest
from tests.conftest import NOW, ORGANISATION, contest_file

GRACE = timedelta(minutes=2)


def stored(state: str = STATE_SCHEDULED, early: bool = False, **about: object) -> StoredContest:
    contest = parse_contest({**contest_file(), **about})
    planned = None
    if early:
        planned, contest = contest.closes_at, contest.with_closes_at(NOW)
    return StoredContest(contest, state, 2, None, planned)


def details_of(contest: StoredContest, grace: timedelta, organisation=None) -> dict:
    return contest_details(contest, contest.contest.to_document(), NOW, grace, organisation)


def test_an_early_close_is_said_with_the_end_it_had_been_planned_for():
    details = details_of(stored(STATE_CLOSED, early=True), GRACE)
    assert (details["status"], details["closed_early"]) == ("closed", True)
    assert (details["closes_at"], details["planned_closes_at"]) == (
        "2026-03-10T09:00:00.000000Z", "2026-03-15T09:00:00.000000Z")
    assert contest_summary(ContestSummary.of(stored(STATE_CLOSED, early=True)), NOW)["closed_early"] is True


def test_public_results_are_expected_once_the_grace_after_closing_has_passed():
    assert details_of(stored(STATE_CLOSED, early=True), GRACE)["results_expected_at"] == \
        "2026-03-10T09:02:00.000000Z"
    assert details_of(stored(STATE_TALLIED), GRACE)["results_expected_at"] is None


def test_results_for_the_commission_only_are_never_expected_on_the_page():
    contest = StoredContest(parse_contest(contest_file(visibility="admins")), STATE_CLOSED, 2)
    assert details_of(contest, GRACE)["results_expected_at"] is None


def test_the_organiser_is_the_contests_or_else_the_stages_organisation():
    own = {"kk": "Ұйымдастырушы", "ru": "Организатор", "en": "Organiser"}
    assert details_of(stored(organiser=own), GRACE, ORGANISATION)["organiser"] == own
    assert details_of(stored(), GRACE, ORGANISATION)["organiser"] == {
        "kk": ORGANISATION.name_kz, "ru": ORGANISATION.name_ru, "en": ORGANISATION.name_en}
    assert "organiser" not in details_of(stored(), GRACE)


def test_the_rules_the_notice_and_the_help_contact_come_with_the_contest():
    about = {"rules_url": "https://www.gov.kz/rules", "help": {"phone": "1414"},
             "personal_data": {"kk": "а", "ru": "б", "en": "в"}}
    details = details_of(stored(**about), GRACE)
    assert {name: details[name] for name in about} == about
