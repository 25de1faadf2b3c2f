"""The scheduled functions: the closer every minute, the CRL refresher every 15 minutes. Each logs
what it did and counts it (the alarms read the counts: a closer that stops running, a tally that
fails or is late, a CRL that cannot be refreshed); the work is the runtime's services."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from chalice import Blueprint, Rate

from chalicelib import runtime
from chalicelib.adapters import logs, metrics, telemetry
from chalicelib.adapters.metrics import SECONDS
from chalicelib.voting.closing import Outcome
from chalicelib.voting.records import STATE_TALLIED

schedules = Blueprint(__name__)


@schedules.schedule(Rate(1, unit=Rate.MINUTES), name="close_contests")
@telemetry.scheduled
def close_contests(event: Any) -> list[dict[str, Any]]:
    outcomes = runtime.current().closer.run()
    report_closing(outcomes)
    return [outcome.to_json() for outcome in outcomes]


def report_closing(outcomes: list[Outcome]) -> None:
    telemetry.count(metrics.CLOSER_RUNS)
    for outcome in outcomes:
        if outcome.error is not None:
            # The contest stays closed (re-tallyable); the next minute's run tries again.
            logs.event("tally_failed", logging.ERROR, contest=outcome.contest, detail=outcome.error)
            telemetry.count(metrics.TALLY_FAILED)
            continue
        logs.event("contest_closed", **outcome.to_json(), tally_seconds=outcome.tally_seconds)
        if outcome.tally_seconds is not None:
            telemetry.count(metrics.CONTESTS_TALLIED)
            telemetry.count(metrics.TALLY_DURATION, outcome.tally_seconds, SECONDS)
    # Every run says how late the latest untallied contest is (0 when none is): the alarm on late
    # tallies reads a value each minute, and none at all when the closer stops.
    waiting = [outcome.overdue for outcome in outcomes if outcome.state != STATE_TALLIED]
    telemetry.count(metrics.TALLY_OVERDUE, max(waiting, default=timedelta(0)).total_seconds(), SECONDS)


@schedules.schedule(Rate(15, unit=Rate.MINUTES), name="refresh_crls")
@telemetry.scheduled
def refresh_crls(event: Any) -> dict[str, int]:
    # Each CRL read and verified once, each CA's index rewritten when one is newer (README, "Revocation").
    return runtime.report_refresh(runtime.current().refresh_crls())
