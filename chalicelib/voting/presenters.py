"""What the public API shows of a contest (JSON-ready dicts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.voting.clock import iso_utc
from chalicelib.voting.records import StoredContest


def contest_summary(stored: StoredContest, now: datetime) -> dict[str, Any]:
    contest = stored.contest
    return {
        "id": contest.id,
        "title": dict(contest.title),
        "status": stored.status(now),
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
