"""The service's CloudWatch metrics, published through Powertools for AWS Lambda's Metrics as
Embedded Metric Format lines on stdout (CloudWatch reads them from the function's log: no API
call, no IAM right). Namespace `Voting`, one dimension, `stage` (the stack's name): a metric never
carries an IIN, a name, a serial, a token, a session id or a receipt, nor a contest or an
issuer, whose values a caller chooses. What varies goes into the metric's name, from closed
sets only (the refusal catalogue's codes, the causes below, the policy's algorithms).

These names are the one list: the template's alarms and dashboard (`devtools/package.py`) read
them from here.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.adapters import logs
from chalicelib.settings import Telemetry

NAMESPACE = "Voting"
DIMENSION = "stage"
COUNT, MILLISECONDS, SECONDS = MetricUnit.Count.value, MetricUnit.Milliseconds.value, MetricUnit.Seconds.value

# Votes, whichever route brought the signed ballot (the page's POST, eGov mobile's PUT).
VOTE_ACCEPTED = "VoteAccepted"  # 201: a new vote stored
VOTE_RETRIED = "VoteRetried"  # 200: the same person, the same ballot again (the same receipt)
VOTE_REJECTED = "VoteRejected"  # VoteRejected.<code>: every refusal but 503, already_voted included
UNAVAILABLE = "Unavailable"  # every 503 the service answered, any route; and Unavailable.<cause>
CLIENT_ERRORS = "ClientErrors"  # every 4xx the service answered, any route (API Gateway's own are the rest)
# A signed receipt request (a citizen recovering a lost receipt): answered, or refused by code.
RECEIPT_RECOVERED = "ReceiptRecovered"
RECEIPT_REQUEST_REJECTED = "ReceiptRequestRejected"  # ReceiptRequestRejected.<code>, vote_not_found included
VERIFICATION_MS = "VerificationMs"  # VerificationMs.<algorithm>: a ballot's verification, all steps
# Why a 503: the storage failed or throttled, a conditional update lost a race, a setting is missing
# or wrong, revocation could not be checked (no fresh index: fail closed), an unexpected error,
# or the health check found a part missing.
CAUSES = ("storage", "conflict", "configuration", "revocation", "error", "health")

# eGov mobile signing sessions.
MOBILE_CREATED = "MobileSessionCreated"
MOBILE_SETTLED = "MobileSessionSettled"  # the first PUT with a valid signature of the ballot ended it
MOBILE_EXPIRED = "MobileSessionExpired"  # a page or the phone was told the session had expired

# Revocation (the names the CRL work has always used, so its dashboards and alarms keep reading them).
REVOCATION_INDEX_AGE = "RevocationIndexAge"  # each refresher run: seconds since the oldest CA's newest CRL was issued
REVOCATION_STALE = "CrlStale"  # a vote met an index past its nextUpdate, within the tolerance
REVOCATION_STALE_BEYOND = "CrlStaleBeyondTolerance"  # ... beyond it: refused, 503
REVOCATION_MISSING = "RevocationUnavailable"  # no usable index of the issuer at all: refused, 503
REVOCATION_REFRESH_FAILED = "CrlRefreshFailed"  # the refresher could not fetch or verify a CRL
REVOCATION_SOURCE_STALE = "CrlSourceStale"  # a CA publishes a CRL already past its nextUpdate
REVOCATION_SOURCE_OLDER = "CrlSourceOlder"  # a source served a CRL older than the index holds
REVOCATION_INDEX_PROBLEM = "CrlIndexProblem"  # the refresher could not write (or read) a CA's index
# Why a vote function could not take a CA's stored index: CrlIndexUnreachable, …Refused (altered,
# another key), …Older (a rollback), …Missing (verify/revocation.py's kinds, spelled out here: that
# module loads with the first vote).
INDEX_PROBLEMS = ("unreachable", "refused", "older", "missing")

# The closer (every minute).
CLOSER_RUNS = "CloserRuns"
CONTESTS_TALLIED = "ContestsTallied"
TALLY_FAILED = "TallyFailed"
TALLY_DURATION = "TallyDuration"  # seconds of one contest's count and result write
TALLY_OVERDUE = "TallyOverdue"  # seconds the most overdue contest has waited past closes_at + grace


@dataclass(frozen=True)
class Measurement:
    name: str
    value: float = 1.0
    unit: str = COUNT


def vote_rejected(code: str) -> str:
    return f"{VOTE_REJECTED}.{code}"


def receipt_request_rejected(code: str) -> str:
    return f"{RECEIPT_REQUEST_REJECTED}.{code}"


def unavailable(cause: str) -> str:
    return f"{UNAVAILABLE}.{cause}"


def index_problem(kind: str) -> str:
    return f"CrlIndex{kind.title()}"


def verification_ms(algorithm: str) -> str:
    """`VerificationMs.RSA-SHA-256`, `VerificationMs.GOST-34.10-2015-512`, …"""
    return f"{VERIFICATION_MS}.{re.sub(r'[^A-Za-z0-9.]+', '-', algorithm).strip('-')}"


def refusal_codes() -> list[str]:
    """The codes `VoteRejected.<code>` and `ReceiptRequestRejected.<code>` can carry: the
    catalogue's 4xx (the dashboard lists them)."""
    from chalicelib.voting.rejection import CODES, status_for

    return sorted(code for code in CODES if 400 <= status_for(code) < 500)


def algorithms() -> list[str]:
    """The names `VerificationMs.<algorithm>` can carry: the policy's permitted signature algorithms.
    (Imported here, not at the top: the verifier loads with the first vote, not with this module.)"""
    from chalicelib.verify import algorithms as known
    from chalicelib.verify.policy import NCA

    names = {known.name(signature, digest) for signature in NCA.signatures for digest in NCA.digests}
    return sorted(name for name in names if not name[0].isdigit())  # an OID: no such pair in the policy


_metrics = Metrics(namespace=NAMESPACE)
_metrics.set_default_dimensions(**{DIMENSION: Telemetry.from_environment().stage})
# Powertools keeps one metric set per process; the local server answers requests on threads.
_lock = threading.Lock()


def publish(measurements: Iterable[Measurement]) -> None:
    """Emit these now as one EMF line (nothing when there are none). A metric that cannot be
    written is logged, never raised: it must not cost a vote."""
    with _lock:
        try:
            for measurement in measurements:
                _metrics.add_metric(name=measurement.name, unit=measurement.unit, value=measurement.value)
            if _metrics.metric_set:
                _metrics.flush_metrics()
        except Exception as error:
            logs.event("metrics_failed", logging.ERROR, error=type(error).__name__)
        finally:
            _metrics.clear_metrics()
