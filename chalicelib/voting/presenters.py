"""What the public API shows of a contest (JSON-ready dicts)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.voting.clock import iso_utc
from chalicelib.voting.egov_mobile import Organisation
from chalicelib.voting.records import STATE_TALLIED, ContestSummary, StoredContest

ABOUT = ("organiser", "rules_url", "personal_data", "help")


def contest_summary(summary: ContestSummary, now: datetime) -> dict[str, Any]:
    return {
        "id": summary.id,
        "title": dict(summary.title),
        "status": summary.status(now),
        "opens_at": iso_utc(summary.opens_at),
        "closes_at": iso_utc(summary.closes_at),
        "closed_early": summary.closed_early,
    }


def contest_details(stored: StoredContest, document: dict[str, Any], now: datetime, tally_grace: timedelta,
                    organisation: Organisation | None = None) -> dict[str, Any]:
    """The contest as the page shows it; `document` is its file form (`Contest.to_document`): the
    ballot paper, the window (and, after an early close, the end it had been planned for), when the
    results are expected (the tally runs `tally_grace` after voting ends), and who runs it — the
    contest's organiser, else the stage's organisation."""
    about: dict[str, Any] = {name: document[name] for name in ABOUT if name in document}
    if "organiser" not in about and organisation is not None:
        about["organiser"] = {"kk": organisation.name_kz, "ru": organisation.name_ru, "en": organisation.name_en}
    expected = None
    if stored.state != STATE_TALLIED and document["results_visibility"] == "public":
        expected = iso_utc(stored.contest.closes_at + tally_grace)
    return {
        **contest_summary(ContestSummary.of(stored), now),
        "planned_closes_at": iso_utc(stored.planned_closes_at) if stored.closed_early and stored.planned_closes_at
        else None,
        "results_visibility": document["results_visibility"],
        "results_expected_at": expected,
        "server_time": iso_utc(now),
        **about,
        "nominations": document["nominations"],
    }
