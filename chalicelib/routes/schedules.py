"""The scheduled functions: the closer every minute, the CRL refresher every 15 minutes. Each logs
what it did (and emits its metrics); the work is the runtime's services."""

from __future__ import annotations

import logging
from typing import Any

from chalice import Blueprint, Rate

from chalicelib import runtime
from chalicelib.adapters import logs

schedules = Blueprint(__name__)
log = logging.getLogger("service.schedules")


@schedules.schedule(Rate(1, unit=Rate.MINUTES), name="close_contests")
def close_contests(event: Any) -> list[dict[str, Any]]:
    outcomes = runtime.current().closer.run()
    for outcome in outcomes:
        if outcome.error is None:
            logs.event(log, "contest_closed", **outcome.to_json())
        else:
            # The contest stays closed (re-tallyable); the next minute's run tries again.
            logs.event(log, "tally_failed", logging.ERROR, contest=outcome.contest, detail=outcome.error)
    return [outcome.to_json() for outcome in outcomes]


@schedules.schedule(Rate(15, unit=Rate.MINUTES), name="refresh_crls")
def refresh_crls(event: Any) -> dict[str, int]:
    # Each CRL read and verified once, each CA's index rewritten when one is newer (README, "Revocation").
    return runtime.report_refresh(runtime.current().refresh_crls())
