"""Voting from a phone with eGov mobile: the page's routes (start a signing session, draw its QR
code, poll it) and the routes eGov mobile calls (API 1 and API 2 of its signing protocol). Thin:
each calls `runtime.current().mobile` (voting/mobile_signing.py)."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import runtime
from chalicelib.adapters import telemetry
from chalicelib.adapters.http import (
    ANY_TYPE,
    asked_language,
    body_of,
    handled,
    header,
    json_response,
    preferred_language,
    svg_response,
)

mobile = Blueprint(__name__)
QR_TITLE = "QR-код для eGov mobile · eGov mobile QR code"


@mobile.route("/contests/{contest_id}/mobile-signatures", methods=["POST"], content_types=ANY_TYPE)
@handled(mobile, "start_mobile_signature")
def start_mobile_signature(contest_id: str) -> Response:
    started = runtime.current().mobile.start(contest_id, body_of(mobile.current_request))
    return json_response(201, started.to_json())


@mobile.route("/contests/{contest_id}/mobile-signatures/{session_id}", methods=["GET"], content_types=ANY_TYPE)
@handled(mobile, "poll_mobile_signature")
def poll_mobile_signature(contest_id: str, session_id: str) -> Response:
    language = preferred_language(header(mobile.current_request, "accept-language"))
    return json_response(200, runtime.current().mobile.poll(contest_id, session_id, language))


@mobile.route("/contests/{contest_id}/mobile-signatures/{session_id}/qr", methods=["GET"], content_types=ANY_TYPE)
@handled(mobile, "mobile_signature_qr")
def mobile_signature_qr(contest_id: str, session_id: str) -> Response:
    from chalicelib.adapters.qr import qr_svg

    return svg_response(qr_svg(runtime.current().mobile.qr_text(contest_id, session_id), QR_TITLE))


@mobile.route("/egov/{session_id}", methods=["GET"], content_types=ANY_TYPE)
@handled(mobile, "egov_api1")
def egov_api1(session_id: str) -> Response:
    language = asked_language(header(mobile.current_request, "accept-language"))
    return json_response(200, runtime.current().mobile.describe(session_id, language))


@mobile.route("/egov/{session_id}/document", methods=["GET"], content_types=ANY_TYPE)
@handled(mobile, "egov_api2_get")
def egov_api2_get(session_id: str) -> Response:
    request = mobile.current_request
    language = asked_language(header(request, "accept-language"))
    return json_response(200, runtime.current().mobile.document(session_id, header(request, "authorization"),
                                                                language))


@mobile.route("/egov/{session_id}/document", methods=["PUT"], content_types=ANY_TYPE)
@handled(mobile, "egov_api2_put")
def egov_api2_put(session_id: str) -> Response:
    request = mobile.current_request
    signed = runtime.current().mobile.sign(session_id, header(request, "authorization"), body_of(request))
    telemetry.vote_recorded(signed.created)
    return json_response(200, signed.to_json())
