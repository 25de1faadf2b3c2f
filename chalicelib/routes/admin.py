"""The commission's routes: sign-in with ЭЦП, and behind the built-in authorizer the results,
evidence, early close and uploads; and the admin page. Every admin action writes an audit line."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from chalice import AuthResponse, Blueprint, Chalice, Response

from chalicelib import runtime
from chalicelib.adapters import admin_gate, logs
from chalicelib.adapters.http import (
    ANY_TYPE,
    NO_STORE,
    body_of,
    download_response,
    error_response,
    handled,
    json_response,
    language_of,
    page_response,
    query_param,
)
from chalicelib.voting.languages import DEFAULT_LANGUAGE
from chalicelib.voting.rejection import Rejection
from chalicelib.voting.results import DIALECTS

admin = Blueprint(__name__)
ADMIN_PREFIX = "/admin"


def commission_entry(app: Chalice) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda handler of the commission's function: the same app, for `/admin…` routes only
    (API Gateway routes nothing else here; anything else is refused, not served with this role)."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        resource = str((event.get("requestContext") or {}).get("resourcePath") or "")
        if resource != ADMIN_PREFIX and not resource.startswith(ADMIN_PREFIX + "/"):
            logs.event("admin_function_refused", logging.ERROR, resource=resource[:200])
            refused: dict[str, Any] = error_response("forbidden", DEFAULT_LANGUAGE).to_dict()
            return refused
        answer: dict[str, Any] = app(event, context)
        return answer

    return handle


@admin.authorizer(ttl_seconds=0)
def admin_session(auth_request: Any) -> AuthResponse | dict[str, Any]:
    return admin_gate.authorize(auth_request, lambda token, arn: runtime.current().authorize(token, arn))


def acting(action: str, contest_id: str | None) -> None:
    """The audit line of this admin request: who, what, when."""
    admin_gate.record_admin_action(admin_gate.actor_of(admin.current_request), action, contest_id,
                                   runtime.current().clock())


@admin.route("/admin", methods=["GET"], content_types=ANY_TYPE)
@handled(admin, "admin_page")
def admin_page() -> Response:
    from chalicelib.adapters.pages import admin_page as render

    page = render(runtime.current().settings.ncalayer_url)
    return page_response(page.html, page.csp, NO_STORE)


@admin.route("/admin/challenges", methods=["POST"], content_types=ANY_TYPE)
@handled(admin, "admin_challenge")
def admin_challenge() -> Response:
    issued = runtime.current().sign_in.challenge()
    return json_response(201, {"challenge": issued.token, "expires_at": issued.expires_at.isoformat()})


@admin.route("/admin/sessions", methods=["POST"], content_types=ANY_TYPE)
@handled(admin, "admin_sign_in")
def admin_sign_in() -> Response:
    wired = runtime.current()
    session = wired.sign_in.sign_in(body_of(admin.current_request))
    admin_gate.record_admin_action(session.actor, "sign_in", None, wired.clock())
    return json_response(201, {"token": session.token, "expires_at": session.expires_at.isoformat()})


@admin.route("/admin/contests/{contest_id}/results", methods=["GET"], authorizer=admin_session, content_types=ANY_TYPE)
@handled(admin, "admin_results")
def admin_results(contest_id: str) -> Response:
    request = admin.current_request
    acting("results", contest_id)
    commission = runtime.current().commission
    if query_param(request, "format") == "csv":
        dialect = DIALECTS.get(query_param(request, "separator") or "comma")
        if dialect is None:
            raise Rejection("malformed_request", "separator must be comma or semicolon")
        name, data = commission.admin_results_csv(contest_id, language_of(request), dialect)
        return download_response(data, "text/csv; charset=utf-8", name)
    return json_response(200, commission.admin_results(contest_id))


@admin.route("/admin/contests/{contest_id}/evidence", methods=["GET"], authorizer=admin_session, content_types=ANY_TYPE)
@handled(admin, "admin_evidence")
def admin_evidence(contest_id: str) -> Response:
    """The sealed evidence, as stored: this function holds no key that opens it; the commission
    audits the file offline with its own (`manage.py audit`)."""
    acting("evidence", contest_id)
    evidence = runtime.current().commission.evidence(contest_id)
    return download_response(evidence.encode(), "application/x-ndjson; charset=utf-8",
                             f"{contest_id}-evidence-sealed.jsonl")


@admin.route("/admin/contests/{contest_id}/close", methods=["POST"], authorizer=admin_session,
             content_types=ANY_TYPE)
@handled(admin, "admin_close")
def admin_close(contest_id: str) -> Response:
    acting("close", contest_id)
    return json_response(200, runtime.current().commission.close(contest_id))


@admin.route("/admin/contests/{contest_id}", methods=["PUT"], authorizer=admin_session, content_types=ANY_TYPE)
@handled(admin, "admin_upload_contest")
def admin_upload_contest(contest_id: str) -> Response:
    return uploaded("upload_contest", contest_id, runtime.current().commission.upload_contest)


@admin.route("/admin/contests/{contest_id}/nominees", methods=["PUT"], authorizer=admin_session,
             content_types=ANY_TYPE)
@handled(admin, "admin_upload_finalists")
def admin_upload_finalists(contest_id: str) -> Response:
    """`?revision=N` (a preview's): refused with `contest_changed` if the contest changed since."""
    revision = query_param(admin.current_request, "revision")
    expected = int(revision) if revision and revision.isascii() and revision.isdigit() and len(revision) < 10 \
        else None
    if revision is not None and expected is None:
        raise Rejection("malformed_request", "revision must be a number")
    commission = runtime.current().commission
    return uploaded("upload_finalists", contest_id,
                    lambda contest, body: commission.upload_finalists(contest, body, expected))


@admin.route("/admin/contests/{contest_id}/nominees/preview", methods=["POST"], authorizer=admin_session,
             content_types=ANY_TYPE)
@handled(admin, "admin_preview_finalists")
def admin_preview_finalists(contest_id: str) -> Response:
    """What the upload would change; nothing is written."""
    return uploaded("preview_finalists", contest_id, runtime.current().commission.preview_finalists)


def uploaded(action: str, contest_id: str, save: Callable[[str, bytes], dict[str, Any]]) -> Response:
    request = admin.current_request
    acting(action, contest_id)
    return admin_gate.upload(lambda: save(contest_id, body_of(request)), request)
