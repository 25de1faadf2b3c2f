"""Where each entry point's outcome becomes what operators see: logs, metrics, traces.

- Every HTTP request of both API functions goes through `observe_request`, Chalice middleware
  (registered by `routes/telemetry.py`): the Lambda context and the API's request id into the
  logger, then the request's one log line — action, decision, refusal code and detail, status,
  duration and, when a signature was verified, the verifier's steps — its metrics (votes,
  refusals by code, 503s by cause, verification time per algorithm, and whatever the route and the
  services counted), a subsegment where tracing is on, and one EMF line.
- Every scheduled run goes through `scheduled`, a decorator: Chalice applies middleware to a
  blueprint's scheduled function only when `app.py` is imported, and Lambda imports
  `chalicelib.routes.schedules` itself for them. The same context and subsegment; the run's
  metrics are flushed even when it fails.

`adapters/http.handled` (the error boundary of each route) notes the decision on the request's
`Outcome`; routes and the runtime's hooks `count` what they know (a vote stored or retried, a
signing session settled, a stale revocation index).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from chalicelib.adapters import logs, metrics, tracing
from chalicelib.adapters.metrics import COUNT, MILLISECONDS, Measurement
from chalicelib.verify import trace

# The routes that take a signed document, and how their refusals are counted per code: a ballot
# (the page's POST, eGov mobile's PUT) and a receipt request.
RECEIPT_REQUEST = "recover_receipt"
REFUSALS_BY_CODE = {"cast_vote": metrics.vote_rejected, "egov_api2_put": metrics.vote_rejected,
                    RECEIPT_REQUEST: metrics.receipt_request_rejected}
CLIENT_ERROR = 400
SERVER_ERROR = 500  # the service answers 503; a 500 only if something escaped a route's error boundary


@dataclass
class Outcome:
    """What one request (or one scheduled run) decided and counted so far."""

    action: str = ""
    decision: str = "ok"
    code: str | None = None
    detail: str | None = None
    cause: str | None = None  # why a 503 (metrics.CAUSES)
    measurements: list[Measurement] = field(default_factory=list)


_current: ContextVar[Outcome | None] = ContextVar("telemetry_outcome", default=None)


def note(**fields: Any) -> None:
    """Set fields of this request's outcome (the error boundary's decision); no-op outside one."""
    outcome = _current.get()
    if outcome is not None:
        for name, value in fields.items():
            setattr(outcome, name, value)


def count(name: str, value: float = 1.0, unit: str = COUNT) -> None:
    """Count into this request's (or run's) metrics; outside any, publish at once."""
    measurement = Measurement(name, value, unit)
    outcome = _current.get()
    if outcome is None:
        metrics.publish([measurement])
    else:
        outcome.measurements.append(measurement)


def vote_recorded(created: bool) -> None:
    count(metrics.VOTE_ACCEPTED if created else metrics.VOTE_RETRIED)


# HTTP requests

def observe_request(request: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice `http` middleware: one log line, the metrics and the trace of this request."""
    context = getattr(request, "lambda_context", None)
    if context is None:
        return _observed(request, get_response)
    return _observed_in_context(request.to_original_event(), context, request, get_response)


def _observed_event(_event: Any, _context: Any, request: Any, get_response: Callable[[Any], Any]) -> Any:
    return _observed(request, get_response)


# Wrapped once, at import: Powertools' decorator reads its settings from the environment when built.
_observed_in_context = logs.logger.inject_lambda_context(_observed_event, clear_state=True,
                                                         correlation_id_path=correlation_paths.API_GATEWAY_REST)


def _observed(request: Any, get_response: Callable[[Any], Any]) -> Any:
    outcome = Outcome()
    token = _current.set(outcome)
    trace.forget()
    started = time.perf_counter()
    status = 500  # what Chalice answers if anything escapes the route's error boundary
    try:
        with tracing.subsegment("request") as annotate:
            try:
                response = get_response(request)
            except Exception as error:
                outcome.decision, outcome.detail = "error", type(error).__name__
                raise
            else:
                status = int(response.status_code)
            finally:
                annotate("action", outcome.action)
                annotate("decision", outcome.decision)
                annotate("status", status)
                if outcome.code:
                    annotate("code", outcome.code)
    finally:
        _current.reset(token)
        _report(outcome, status, trace.last(), started)
    return response


def _report(outcome: Outcome, status: int, verification: trace.Trace | None, started: float) -> None:
    fields: dict[str, Any] = {"action": outcome.action, "decision": outcome.decision, "code": outcome.code,
                              "detail": outcome.detail, "status": status}
    if verification is not None:  # the step that decided and the time per step
        fields.update(verification.fields())
    fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
    level = logging.ERROR if outcome.decision in ("error", "misconfigured") else logging.INFO
    logs.event("request", level, **fields)
    metrics.publish(request_measurements(outcome, status, verification))


def request_measurements(outcome: Outcome, status: int, verification: trace.Trace | None) -> list[Measurement]:
    """The metrics of one answered request: what was counted on the way, a 503 by its cause, a
    ballot's or a receipt request's refusal by its code, a receipt recovered, and an accepted
    ballot's verification time by its algorithm."""
    measurements = list(outcome.measurements)
    if status >= SERVER_ERROR:
        measurements += [Measurement(metrics.UNAVAILABLE),
                         Measurement(metrics.unavailable(outcome.cause or _default_cause(outcome)))]
    elif status >= CLIENT_ERROR:
        measurements.append(Measurement(metrics.CLIENT_ERRORS))
        refused = REFUSALS_BY_CODE.get(outcome.action)
        if outcome.code and refused is not None:
            measurements.append(Measurement(refused(outcome.code)))
    elif outcome.action == RECEIPT_REQUEST:
        measurements.append(Measurement(metrics.RECEIPT_RECOVERED))
    if verification is not None and verification.decided == trace.ACCEPTED and verification.algorithm:
        measurements.append(Measurement(metrics.verification_ms(verification.algorithm),
                                        sum(verification.milliseconds.values()), MILLISECONDS))
    return measurements


def _default_cause(outcome: Outcome) -> str:
    return "health" if outcome.action == "health" else "error"


# Scheduled runs

Job = Callable[[Any], Any]


def scheduled(job: Job) -> Job:
    """Wrap a scheduled function: the Lambda context in the logger, a subsegment named after
    it, and its metrics flushed once it returns or fails."""

    with_context = logs.logger.inject_lambda_context(lambda _event, _context, event: _run(job, event),
                                                     clear_state=True)

    @functools.wraps(job)
    def run(event: Any) -> Any:
        context = getattr(event, "context", None)
        if context is None:
            return _run(job, event)
        return with_context(event.to_dict(), context, event)

    return run


def _run(job: Job, event: Any) -> Any:
    outcome = Outcome(action=job.__name__)
    token = _current.set(outcome)
    try:
        with tracing.subsegment(job.__name__):
            return job(event)
    finally:
        _current.reset(token)
        metrics.publish(outcome.measurements)
