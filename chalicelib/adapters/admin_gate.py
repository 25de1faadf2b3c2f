"""The Chalice side of admin sessions: the built-in authorizer's decision, what routes read of it,
and the audit line every admin action writes.

API Gateway (and `chalice local`, and `chalice.test`) answer 401 when the Authorization header
is missing. For a token that is forged, malformed or expired the authorizer raises an error whose
message is exactly "Unauthorized" — API Gateway's signal for 401; under `chalice local` and
`chalice.test` the same exception is the local gateway's 401. A valid token of an actor who is
not (or no longer) listed in `VOTING_ADMIN_IINS` gets an explicit Deny policy: 403.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from chalice import Response

from chalicelib.adapters import logs
from chalicelib.adapters.http import EVERY_ANSWER, json_response, language_of
from chalicelib.voting.admin_session import bearer_token, read_token
from chalicelib.voting.clock import iso_utc
from chalicelib.voting.keys import Keys
from chalicelib.voting.languages import DEFAULT_LANGUAGE
from chalicelib.voting.rejection import Rejection, message_for

try:  # present under `chalice local` and `chalice.test`; not packaged into the Lambda function
    from chalice.local import NotAuthorizedError as _GatewayError
except ImportError:  # pragma: no cover - in AWS
    _GatewayError = Exception  # type: ignore[misc,assignment]

_JSON = {"Content-Type": "application/json; charset=utf-8", "WWW-Authenticate": "Bearer", **EVERY_ANSWER}


class Unauthorized(_GatewayError):
    """401: no valid session. `str()` is "Unauthorized", which API Gateway maps to 401."""

    def __init__(self) -> None:
        body = json.dumps({"error": "unauthorized", "message": message_for("unauthorized", DEFAULT_LANGUAGE)},
                          ensure_ascii=False).encode()
        if _GatewayError is Exception:  # pragma: no cover - in AWS
            Exception.__init__(self, "Unauthorized")
        else:
            super().__init__(dict(_JSON), body)

    def __str__(self) -> str:
        return "Unauthorized"


def decide(keys: Keys, actors: Collection[str], header: object, method_arn: str,
           now: datetime) -> dict[str, Any]:
    """The authorizer's answer: an Allow policy for a listed admin's valid token (`actors`: the
    listed IINs' keyed hashes, `admin_session.allowed_actors`), a Deny policy (403) for anyone
    else's valid token; raises `Unauthorized` (401) for everything else."""
    actor = read_token(keys, bearer_token(header), now)
    if actor is None:
        raise Unauthorized()
    effect = "Allow" if actor in actors else "Deny"
    return {
        "principalId": actor,
        "policyDocument": {
            "Version": "2012-10-17",
            # Allow every route: API Gateway caches the answer per token, not per route.
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect,
                           "Resource": ["*"] if effect == "Allow" else [method_arn]}],
        },
        "context": {"actor": actor},
    }


def authorize(auth_request: Any, decision: Callable[[object, str], dict[str, Any]]) -> dict[str, Any]:
    """The built-in authorizer; fails closed (401) on any trouble, the runtime's included."""
    try:
        return decision(auth_request.token, auth_request.method_arn)
    except Unauthorized:
        raise
    except Exception as error:
        logs.event("authorizer_error", logging.ERROR, error=type(error).__name__)
        raise Unauthorized() from None


def actor_of(request: Any) -> str:
    """The admin's actor id the authorizer put on the request."""
    context = (getattr(request, "context", None) or {}).get("authorizer") or {}
    return str(context.get("actor") or context.get("principalId") or "")


def record_admin_action(actor: str, action: str, contest: str | None, at: datetime) -> None:
    """One audit line per admin action: who (keyed hash of the IIN), what, when. Never an IIN or token."""
    logs.event("admin_action", actor=actor, action=action, contest=contest, at=iso_utc(at))


def upload(save: Callable[[], dict[str, Any]], request: Any) -> Response:
    """Run an upload; a refused file answers 422 with every problem listed (line numbers, fields)."""
    try:
        return json_response(200, save())
    except Rejection as rejection:
        if rejection.code not in ("invalid_contest", "invalid_finalists"):
            raise
        language = language_of(request)
        logs.event("upload_refused", code=rejection.code, problems=rejection.detail[:2000])
        problems = [problem.text(language) for problem in rejection.problems] or rejection.detail.split("; ")
        return json_response(rejection.status, {"error": rejection.code,
                                                "message": message_for(rejection.code, language),
                                                "problems": problems})
