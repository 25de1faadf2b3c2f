"""HTTP routes, schedules and the authorizer: nothing else. Everything they do is in chalicelib."""

from __future__ import annotations

from chalice import Chalice, Rate

from chalicelib import logs, runtime
from chalicelib.http import JSON_TYPES, body_of, handled, json_response
from chalicelib.lazy import lazy_module
from chalicelib.presenters import contest_details, contest_summary

# Loaded by the routes that use them: a voter's cold start does not pay for the commission's code.
admin_gate = lazy_module("chalicelib.admin_gate")
admin_pages = lazy_module("chalicelib.admin_pages")
commission = lazy_module("chalicelib.commission")
pages = lazy_module("chalicelib.pages")

app = Chalice(app_name="voting")
logs.configure()


@app.route("/contests", methods=["GET"])
@handled(app, "list_contests")
def list_contests():
    service = runtime.current().voting
    now = service.clock()
    return json_response(200, {"contests": [contest_summary(s, now) for s in service.store.list_contests()]})


@app.route("/contests/{contest_id}", methods=["GET"])
@handled(app, "get_contest")
def get_contest(contest_id):
    service = runtime.current().voting
    return json_response(200, contest_details(service.contest(contest_id), service.clock()))


@app.route("/contests/{contest_id}/challenges", methods=["POST"], content_types=JSON_TYPES)
@handled(app, "issue_challenge")
def issue_challenge(contest_id):
    issued = runtime.current().voting.issue_challenge(contest_id)
    return json_response(201, {"challenge": issued.token, "expires_at": issued.expires_at.isoformat()})


@app.route("/contests/{contest_id}/votes", methods=["POST"], content_types=JSON_TYPES)
@handled(app, "cast_vote")
def cast_vote(contest_id):
    vote = runtime.current().voting.cast(contest_id, body_of(app.current_request))
    return json_response(201 if vote.created else 200, vote.to_json())


@app.route("/receipts/{receipt}", methods=["GET"])
@handled(app, "check_receipt")
def check_receipt(receipt):
    return json_response(200, runtime.current().voting.check_receipt(receipt))


# --- The public voting page (chalicelib/pages.py, chalicelib/web/) ---

@app.route("/", methods=["GET"])
@handled(app, "voting_page")
def voting_page():
    return pages.voting_page((app.current_request.headers or {}).get("accept-language"))


@app.route("/assets/{name}", methods=["GET"])
@handled(app, "page_asset")
def page_asset(name):
    return pages.asset_response(name)


@app.schedule(Rate(15, unit=Rate.MINUTES), name="refresh_crls")
def refresh_crls(event):
    runtime.refresh_crls()


# --- Closing, results and the commission's admin routes (chalicelib/closing.py, commission.py) ---

@app.schedule(Rate(1, unit=Rate.MINUTES), name="close_contests")
def close_contests(event):
    return [outcome.to_json() for outcome in commission.for_closer().closer.run()]


@app.route("/contests/{contest_id}/results", methods=["GET"])
@handled(app, "public_results")
def public_results(contest_id):
    return json_response(200, commission.from_runtime(runtime.current()).public_results(contest_id))


@app.authorizer(ttl_seconds=0)
def admin_session(auth_request):
    return admin_gate.authorize(auth_request, runtime.current)


@app.route("/admin", methods=["GET"])
@handled(app, "admin_page")
def admin_page():
    return admin_gate.html_response(*admin_pages.render())


@app.route("/admin/challenges", methods=["POST"], content_types=JSON_TYPES)
@handled(app, "admin_challenge")
def admin_challenge():
    issued = admin_gate.sign_in_service(runtime.current()).challenge()
    return json_response(201, {"challenge": issued.token, "expires_at": issued.expires_at.isoformat()})


@app.route("/admin/sessions", methods=["POST"], content_types=JSON_TYPES)
@handled(app, "admin_sign_in")
def admin_sign_in():
    session = admin_gate.sign_in_service(runtime.current()).sign_in(body_of(app.current_request))
    commission.record_admin_action(session.actor, "sign_in", None, runtime.current().voting.clock())
    return json_response(201, {"token": session.token, "expires_at": session.expires_at.isoformat()})


@app.route("/admin/contests/{contest_id}/results", methods=["GET"], authorizer=admin_session)
@handled(app, "admin_results")
def admin_results(contest_id):
    request = app.current_request
    service = admin_gate.commission_acting(request, runtime.current(), "results", contest_id)
    if (request.query_params or {}).get("format") == "csv":
        name, data = service.admin_results_csv(contest_id, admin_gate.language_of(request))
        return admin_gate.download_response(data, "text/csv; charset=utf-8", name)
    return json_response(200, service.admin_results(contest_id))


@app.route("/admin/contests/{contest_id}/evidence", methods=["GET"], authorizer=admin_session)
@handled(app, "admin_evidence")
def admin_evidence(contest_id):
    service = admin_gate.commission_acting(app.current_request, runtime.current(), "evidence", contest_id)
    return admin_gate.download_response(service.evidence(contest_id).encode(), "application/x-ndjson; charset=utf-8",
                                        f"{contest_id}-evidence.jsonl")


@app.route("/admin/contests/{contest_id}/close", methods=["POST"], authorizer=admin_session, content_types=JSON_TYPES)
@handled(app, "admin_close")
def admin_close(contest_id):
    service = admin_gate.commission_acting(app.current_request, runtime.current(), "close", contest_id)
    return json_response(200, service.close(contest_id))


@app.route("/admin/contests/{contest_id}", methods=["PUT"], authorizer=admin_session, content_types=JSON_TYPES)
@handled(app, "admin_upload_contest")
def admin_upload_contest(contest_id):
    request = app.current_request
    service = admin_gate.commission_acting(request, runtime.current(), "upload_contest", contest_id)
    return admin_gate.upload(lambda: service.upload_contest(contest_id, body_of(request)), request)


@app.route("/admin/contests/{contest_id}/nominees", methods=["PUT"], authorizer=admin_session,
           content_types=["text/csv", *JSON_TYPES])
@handled(app, "admin_upload_finalists")
def admin_upload_finalists(contest_id):
    request = app.current_request
    service = admin_gate.commission_acting(request, runtime.current(), "upload_finalists", contest_id)
    return admin_gate.upload(lambda: service.upload_finalists(contest_id, body_of(request)), request)
