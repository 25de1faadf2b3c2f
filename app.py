"""HTTP routes, schedules and the authorizer: nothing else. Everything they do is in chalicelib."""

from __future__ import annotations

from chalice import Chalice, Rate

from chalicelib import logs, pages, runtime
from chalicelib.http import JSON_TYPES, body_of, handled, json_response
from chalicelib.presenters import contest_details, contest_summary

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
