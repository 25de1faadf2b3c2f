"""The citizens' routes: contests, challenges, votes, receipts (checked, recovered by a signed
request, drawn as a QR code of the check link), public results, the voting page and its icon, and
the health check for canaries and load tools."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import runtime
from chalicelib.adapters import telemetry
from chalicelib.adapters.http import (
    ANY_TYPE,
    asset_response,
    body_of,
    error_response,
    handled,
    header,
    json_response,
    preferred_language,
    public_json,
    query_param,
    revalidated_page,
    svg_response,
)
from chalicelib.settings import ConfigurationError
from chalicelib.voting import challenge
from chalicelib.voting.rejection import Rejection
from chalicelib.voting.signed_body import json_body

public = Blueprint(__name__)


@public.route("/contests", methods=["GET"], content_types=ANY_TYPE)
@handled(public, "list_contests")
def list_contests() -> Response:
    answer = runtime.current().public_reads.contest_list()
    return public_json(answer.body, answer.max_age)


@public.route("/contests/{contest_id}", methods=["GET"], content_types=ANY_TYPE)
@handled(public, "get_contest")
def get_contest(contest_id: str) -> Response:
    answer = runtime.current().public_reads.contest(contest_id)
    return public_json(answer.body, answer.max_age)


CHALLENGE_PURPOSES = (challenge.VOTE, challenge.RECEIPT_REQUEST)


@public.route("/contests/{contest_id}/challenges", methods=["POST"], content_types=ANY_TYPE)
@handled(public, "issue_challenge")
def issue_challenge(contest_id: str) -> Response:
    """A challenge for a ballot; with `{"purpose": "receipt-request"}` one for a receipt request."""
    body = body_of(public.current_request)
    document = json_body(body, 1024) if body.strip() else {}
    purpose = document.get("purpose", challenge.VOTE) if isinstance(document, dict) else None
    if purpose not in CHALLENGE_PURPOSES:
        raise Rejection("malformed_request", 'body must be {} or {"purpose": "receipt-request"}')
    issued = runtime.current().voting.issue_challenge(contest_id, purpose)
    return json_response(201, {"challenge": issued.token, "expires_at": issued.expires_at.isoformat()})


@public.route("/contests/{contest_id}/votes", methods=["POST"], content_types=ANY_TYPE)
@handled(public, "cast_vote")
def cast_vote(contest_id: str) -> Response:
    vote = runtime.current().voting.cast(contest_id, body_of(public.current_request))
    telemetry.vote_recorded(vote.created)
    return json_response(201 if vote.created else 200, vote.to_json())


@public.route("/receipts/{receipt}", methods=["GET"], content_types=ANY_TYPE)
@handled(public, "check_receipt")
def check_receipt(receipt: str) -> Response:
    return json_response(200, runtime.current().voting.check_receipt(receipt))


@public.route("/contests/{contest_id}/receipt-requests", methods=["POST"], content_types=ANY_TYPE)
@handled(public, "recover_receipt")
def recover_receipt(contest_id: str) -> Response:
    return json_response(200, runtime.current().voting.recover_receipt(contest_id, body_of(public.current_request)))


@public.route("/receipts/{receipt}/qr", methods=["GET"], content_types=ANY_TYPE)
@handled(public, "receipt_qr")
def receipt_qr(receipt: str) -> Response:
    """The QR code of the receipt's check link (`<public address>/?receipt=…`), for the printed
    receipt. Drawn from the code alone: nothing is read, so it says nothing about the vote."""
    from chalicelib.adapters.qr import qr_svg
    from chalicelib.voting.receipt import check_link

    public_url = runtime.current().settings.public_url
    if public_url is None:
        raise Rejection("not_found", "no VOTING_PUBLIC_URL: the stage does not know its public address")
    return svg_response(qr_svg(check_link(public_url, receipt), RECEIPT_QR_TITLE), cache="private, max-age=86400")


RECEIPT_QR_TITLE = "Түбіртекті тексеру · Проверка квитанции · Check the receipt"


@public.route("/contests/{contest_id}/results", methods=["GET"], content_types=ANY_TYPE)
@handled(public, "public_results")
def public_results(contest_id: str) -> Response:
    answer = runtime.current().public_reads.results(contest_id)
    return public_json(answer.body, answer.max_age)


@public.route("/health", methods=["GET"], content_types=ANY_TYPE)
@handled(public, "health")
def health() -> Response:
    """200 when every part a vote needs is there, else 503 naming the parts that failed."""
    try:
        checks = runtime.current().health()
    except ConfigurationError:
        checks = {"settings": "failed"}
    if all(state == "ok" for state in checks.values()):
        return json_response(200, {"status": "ok", "checks": checks})
    return error_response("unavailable", preferred_language(header(public.current_request, "accept-language")),
                          {"status": "unavailable", "checks": checks})


@public.route("/openapi.json", methods=["GET"], content_types=ANY_TYPE)
@handled(public, "openapi")
def openapi() -> Response:
    from chalicelib.adapters.openapi import document

    return public_json(document(), 3600)


@public.route("/", methods=["GET"], content_types=ANY_TYPE)
@handled(public, "voting_page")
def voting_page() -> Response:
    from chalicelib.adapters.pages import voting_page as render

    request = public.current_request
    language = preferred_language(header(request, "accept-language"))
    settings = runtime.current().settings
    page = render(language, settings.ncalayer_url, settings.mobile_signing, settings.public_url)
    return revalidated_page(page.html, page.csp, page.etag, header(request, "if-none-match"),
                            {"Content-Language": language, "Vary": "Accept-Language"})


@public.route("/assets/{name}", methods=["GET"], content_types=ANY_TYPE)
@handled(public, "page_asset")
def page_asset(name: str) -> Response:
    from chalicelib.adapters.pages import ASSETS, asset

    request = public.current_request
    found = asset(name)
    return asset_response(found.body, ASSETS[name], found.version, query_param(request, "v"),
                          header(request, "if-none-match"))


@public.route("/favicon.ico", methods=["GET"], content_types=ANY_TYPE)
@handled(public, "favicon")
def favicon() -> Response:
    """The icon both pages link (`assets/icon.svg`), also where browsers and tools look by habit."""
    from chalicelib.adapters.pages import ASSETS, asset

    found = asset("icon.svg")
    return asset_response(found.body, ASSETS["icon.svg"], found.version, None,
                          header(public.current_request, "if-none-match"))
