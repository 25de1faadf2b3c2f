"""What the public API shows of a contest (JSON-ready dicts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.voting.clock import iso_utc
from chalicelib.voting.records import ContestSummary, StoredContest


def contest_summary(summary: ContestSummary, now: datetime) -> dict[str, Any]:
    return {
        "id": summary.id,
        "title": dict(summary.title),
        "status": summary.status(now),
        "opens_at": iso_utc(summary.opens_at),
        "closes_at": iso_utc(summary.closes_at),
    }


def contest_details(stored: StoredContest, document: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The contest with its nominations; `document` is its file form (`Contest.to_document`)."""
    return {
        **contest_summary(ContestSummary.of(stored), now),
        "results_visibility": document["results_visibility"],
        "server_time": iso_utc(now),
        "nominations": document["nominations"],
    }
