"""What the public API shows of a contest (JSON-ready dicts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.contest import iso_utc
from chalicelib.records import STATE_SCHEDULED, StoredContest


def status_of(stored: StoredContest, now: datetime) -> str:
    return stored.contest.status_at(now) if stored.state == STATE_SCHEDULED else stored.state


def contest_summary(stored: StoredContest, now: datetime) -> dict[str, Any]:
    contest = stored.contest
    return {
        "id": contest.id,
        "title": dict(contest.title),
        "status": status_of(stored, now),
        "opens_at": iso_utc(contest.opens_at),
        "closes_at": iso_utc(contest.closes_at),
    }


def contest_details(stored: StoredContest, now: datetime) -> dict[str, Any]:
    document = stored.contest.to_document()
    return {
        **contest_summary(stored, now),
        "results_visibility": document["results_visibility"],
        "server_time": iso_utc(now),
        "nominations": document["nominations"],
    }
