"""What operators see of each request (adapters/telemetry.py through the app's middleware): one
log line and its metrics as CloudWatch EMF, counted by outcome — and never a person in either."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib import runtime
from chalicelib.adapters import metrics
from chalicelib.voting.records import StorageUnavailable
from chalicelib.voting.rejection import CODES
from devtools import devpki
from tests.conftest import NOW, ROOT, a_challenge, contest_file, make_runtime, readable_identity
from tests.routes.test_admin import ADMIN, HEADER, call, sign_in, token_of
from tests.routes.test_mobile import Phone
from tests.routes.test_public import receipt_request, recover

CONTEST = "best-social-worker-2025"


def emitted(output: str) -> list[dict]:
    """The EMF documents among the captured lines."""
    return [line for line in map(json.loads, (text for text in output.splitlines() if text.startswith("{")))
            if "_aws" in line]


def counted(output: str) -> dict[str, float]:
    """Metric name → the sum of its values over the captured EMF lines."""
    totals: dict[str, float] = {}
    for document in emitted(output):
        for definition in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            name = definition["Name"]
            totals[name] = totals.get(name, 0) + sum(document[name])
    return totals


@pytest.fixture
def metered(service, capsys):
    """Each call: what it counted (the output captured since the last call)."""
    capsys.readouterr()

    def read() -> dict[str, float]:
        return counted(capsys.readouterr().out)

    return read


def test_a_new_vote_counts_one_accepted_vote_and_its_verification_time_by_algorithm(service, metered):
    assert service.post_vote(service.vote_body(service.pki.voter("900101300601"))).status_code == 201
    found = metered()
    assert found[metrics.VOTE_ACCEPTED] == 1 and found["VerificationMs.RSA-SHA-256"] > 0
    assert metrics.VOTE_RETRIED not in found and metrics.CLIENT_ERRORS not in found


def test_the_same_ballot_again_counts_a_retry(service, metered):
    body = service.vote_body(service.pki.voter("900101300602"))
    service.post_vote(body)
    metered()
    assert service.post_vote(body).status_code == 200
    found = metered()
    assert found[metrics.VOTE_RETRIED] == 1 and metrics.VOTE_ACCEPTED not in found


def test_a_second_vote_of_the_same_person_counts_already_voted(service, metered):
    voter = service.pki.voter("900101300603")
    service.post_vote(service.vote_body(voter))
    metered()
    assert service.post_vote(service.vote_body(voter, nominee="hc-002")).status_code == 409
    found = metered()  # the signature verified (its time is counted); the vote was refused
    assert (found[metrics.vote_rejected("already_voted")], found[metrics.CLIENT_ERRORS]) == (1, 1)
    assert metrics.VOTE_ACCEPTED not in found


def test_a_refused_ballot_counts_its_code(service, metered):
    service.post_vote(service.vote_body(service.pki.voter("900101300604", usage="auth")))
    assert metered() == {metrics.vote_rejected("certificate_not_for_signing"): 1, metrics.CLIENT_ERRORS: 1}


def test_a_recovered_receipt_counts_receipt_recovered(service, metered):
    voter = service.pki.voter("900101300606")
    service.post_vote(service.vote_body(voter))
    request = receipt_request(service, voter)
    metered()
    assert recover(service, request).status_code == 200
    found = metered()
    assert found[metrics.RECEIPT_RECOVERED] == 1 and metrics.CLIENT_ERRORS not in found


def test_a_refused_receipt_request_counts_its_code(service, metered):
    request = receipt_request(service, service.pki.voter("900101300607"))
    metered()
    assert recover(service, request).status_code == 404
    found = metered()  # the signature verified (its time is counted); nobody's vote to answer with
    assert (found[metrics.receipt_request_rejected("vote_not_found")], found[metrics.CLIENT_ERRORS]) == (1, 1)
    assert metrics.RECEIPT_RECOVERED not in found


def test_a_refusal_outside_the_signed_routes_counts_a_client_error_only(service, metered):
    assert service.http.get("/receipts/AAAA-BBBB").status_code == 404
    assert metered() == {metrics.CLIENT_ERRORS: 1}


def test_storage_trouble_counts_a_503_by_its_cause(service, metered, monkeypatch):
    def throttled(*args: object) -> None:
        raise StorageUnavailable("throttled")

    monkeypatch.setattr(service.store, "record_vote", throttled)
    assert service.post_vote(service.vote_body(service.pki.voter("900101300605"))).status_code == 503
    found = metered()
    assert found[metrics.UNAVAILABLE] == 1 and found[metrics.unavailable("storage")] == 1


def test_an_unexpected_error_is_a_503_counted_as_an_error(service, metered, monkeypatch):
    monkeypatch.setattr(service.runtime.voting, "cast", lambda *a: 1 / 0)
    assert service.post_vote(b"{}").status_code == 503
    assert metered() == {metrics.UNAVAILABLE: 1, metrics.unavailable("error"): 1}


def test_egov_mobile_sessions_count_created_settled_and_expired(service, metered):
    phone = Phone(service)
    sid = phone.session()["id"]
    assert metered() == {metrics.MOBILE_CREATED: 1}
    assert phone.sign_as(sid, "900101300606").status_code == 200
    found = metered()
    assert (found[metrics.MOBILE_SETTLED], found[metrics.VOTE_ACCEPTED]) == (1, 1)
    late = phone.session()["id"]
    service.clock.advance(minutes=11)
    assert json.loads(phone.poll(late).body)["status"] == "expired"
    assert metered()[metrics.MOBILE_EXPIRED] == 1


def test_every_metric_carries_the_stage_and_nothing_else(service, capsys):
    service.post_vote(service.vote_body(service.pki.voter("900101300607")))
    service.post_vote(b"not json")
    documents = emitted(capsys.readouterr().out)
    assert documents
    for document in documents:
        [definition] = document["_aws"]["CloudWatchMetrics"]
        assert (definition["Namespace"], definition["Dimensions"]) == ("Voting", [["stage"]])
        assert document["stage"] == "local"  # VOTING_STACK unset: the local stack


def test_the_closer_counts_its_run_the_tally_and_its_duration(service, capsys):
    from chalice.test import Client

    import app as application
    from devtools.closer import scheduled_event

    service.clock.now = NOW + timedelta(days=5, minutes=2)
    capsys.readouterr()
    with Client(application.app, project_dir=str(ROOT)) as client:
        client.lambda_.invoke("close_contests", scheduled_event())
    found = counted(capsys.readouterr().out)
    assert (found[metrics.CLOSER_RUNS], found[metrics.CONTESTS_TALLIED]) == (1, 1)
    assert found[metrics.TALLY_DURATION] >= 0 and found[metrics.TALLY_OVERDUE] == 0


def test_a_failed_tally_is_counted_and_says_how_late_the_contest_is(service, capsys, monkeypatch):
    from chalice.test import Client

    import app as application
    from devtools.closer import scheduled_event

    def crash(*args: object) -> None:
        raise StorageUnavailable("throttled")

    monkeypatch.setattr(service.store, "store_result", crash)
    service.clock.now = NOW + timedelta(days=5, minutes=12)  # ten minutes past closes_at + grace
    capsys.readouterr()
    with Client(application.app, project_dir=str(ROOT)) as client:
        client.lambda_.invoke("close_contests", scheduled_event())
    found = counted(capsys.readouterr().out)
    assert found[metrics.TALLY_FAILED] == 1 and found[metrics.TALLY_OVERDUE] == pytest.approx(600)


# --- no person in any log line or metric, over every refusal code -----------------------------

class Run:
    """Drives the app into every code of the catalogue, remembering each voter it made."""

    def __init__(self, service) -> None:
        self.service = service
        self.voters: list[devpki.Issued] = []
        self.secrets: list[str] = []
        self.codes: set[str] = set()

    def voter(self, iin: str, **options: object) -> devpki.Issued:
        # A name of its own per voter, so that any name in the output is caught.
        options.setdefault("surname", f"ЖҰМАБАЕВ{len(self.voters)}")
        options.setdefault("given_name", f"ЕРЛАН{len(self.voters)}")
        voter = self.service.pki.voter(iin, **options)
        self.voters.append(voter)
        return voter

    def answer(self, response) -> None:
        if response.status_code >= 400:
            self.codes.add(json.loads(response.body)["error"])

    def vote(self, voter: devpki.Issued, contest: str = CONTEST, **options: object) -> None:
        self.answer(self.service.post_vote(self.service.vote_body(voter, contest=contest, **options), contest))


def test_no_log_line_or_metric_carries_a_person_over_a_run_of_every_refusal_code(service, capsys, monkeypatch):
    pki = service.pki
    run = Run(service)
    revoked = run.voter("900101300702")
    revocation = pki.revocation(pki.crls({revoked.certificate.serial_number: NOW - timedelta(days=1)}))
    wired = make_runtime(pki, service.clock, service.store, revocation, admin_iins=frozenset({ADMIN}))
    runtime.install(wired)
    http = service.http

    # Ballots (the page's route).
    first = run.voter("900101300701")
    run.vote(first)
    run.vote(first, nominee="hc-002")  # already_voted
    run.vote(revoked)  # certificate_revoked
    run.vote(run.voter("900101300703", usage="auth"))  # certificate_not_for_signing
    run.vote(run.voter("900101300704", not_before=NOW - timedelta(days=400), days=30))  # certificate_expired
    run.vote(run.voter("900101300705", not_before=NOW + timedelta(days=2)))  # certificate_not_yet_valid
    run.vote(run.voter("900101300706", role="legal_entity"))  # not_an_individual
    stranger_ca = devpki.issue_ca("STRANGER ROOT", not_before=NOW - timedelta(days=10))
    outsider = devpki.issue_person(stranger_ca, "900101300707", surname="ЖҰМАБАЕВ-С",
                                   not_before=NOW - timedelta(days=1))
    run.voters.append(outsider)
    run.vote(outsider, chain=())  # untrusted_certificate
    run.vote(run.voter("900101300708"), message_digest=b"\x00" * 32)  # invalid_signature
    run.vote(run.voter("900101300709"), nominee="nobody")  # invalid_ballot
    run.vote(run.voter("900101300710"), challenge="c1.forged")  # invalid_challenge
    run.answer(service.post_vote(b"not json"))  # malformed_request
    run.answer(service.post_vote(b"{" + b" " * 70_000 + b"}"))  # payload_too_large
    run.answer(service.post_vote(service.vote_body(run.voter("900101300711")), contest="nope"))  # contest_not_found
    run.answer(http.get("/receipts/AAAA-BBBB-CCCC-DDDD-EEEE-FFFF"))  # receipt_not_found
    run.answer(http.get("/assets/nothing.js"))  # not_found
    run.answer(recover(service, receipt_request(service, run.voter("900101300718"))))  # vote_not_found
    run.answer(recover(service, receipt_request(service, first)))  # the signer's own receipt, again
    run.answer(http.get(f"/contests/{CONTEST}/results"))  # results_not_ready
    service.store.create_contest(wired_contest("closed-door", visibility="admins"), NOW)
    run.answer(http.get("/contests/closed-door/results"))  # results_not_public
    service.store.create_contest(wired_contest("next-year", opens=NOW + timedelta(days=30),
                                               closes=NOW + timedelta(days=35)), NOW)
    run.vote(run.voter("900101300712"), "next-year", challenge=a_challenge("next-year", NOW))  # voting_not_open

    # eGov mobile.
    phone = Phone(service)
    sid = phone.session()["id"]
    token = phone.token(sid)
    run.secrets += [sid, token]
    run.answer(phone.put(sid, b"{}", token="wrong"))  # unauthorized
    run.answer(phone.sign_as(sid, "900101300713"))
    run.voters.append(pki.voter("900101300713"))
    run.answer(phone.sign_as(sid, "900101300714"))  # session_used
    run.answer(phone.api1("AAAAAAAAAAAAAAAAAAAAAA"))  # session_not_found
    late = phone.session()["id"]
    run.secrets.append(late)
    service.clock.advance(minutes=11)
    run.answer(phone.api1(late))  # session_expired

    # The commission.
    run.answer(sign_in(service, "900101300715"))  # forbidden
    run.voters.append(pki.voter("900101300715"))
    admin_token = token_of(service)
    run.secrets.append(admin_token)
    run.answer(call(service, "PUT", f"/admin/contests/{CONTEST}", admin_token, body="{}"))  # invalid_contest
    sheet = HEADER + "nowhere;rh-9;X;Y;Z;;;\r\n"
    run.answer(call(service, "PUT", "/admin/contests/next-year/nominees", admin_token, body=sheet,
                    **{"Content-Type": "text/csv"}))  # invalid_finalists
    run.answer(call(service, "PUT", "/admin/contests/next-year/nominees?revision=999999", admin_token,
                    body=HEADER + "home-care;hc-9;A;B;C;;;\r\nrehab;rh-9;D;E;F;;;\r\n",
                    **{"Content-Type": "text/csv"}))  # contest_changed
    # Storage trouble, the end of voting, and the evidence after the tally.
    service.clock.now = NOW + timedelta(days=1)
    with monkeypatch.context() as patched:
        patched.setattr(service.store, "record_vote", lambda *a: (_ for _ in ()).throw(StorageUnavailable("x")))
        run.vote(run.voter("900101300717"))  # unavailable
    service.clock.now = NOW + timedelta(days=5, seconds=1)
    late_ballot = a_challenge(CONTEST, service.clock.now - timedelta(minutes=1))
    run.vote(run.voter("900101300716"), challenge=late_ballot)  # voting_closed
    service.clock.now = NOW + timedelta(days=5, minutes=2)
    wired.closer.run()
    from chalicelib.voting import commission

    monkeypatch.setattr(commission.Commission.evidence, "__defaults__", (10,))
    admin_token = token_of(service)
    run.secrets.append(admin_token)
    run.answer(call(service, "GET", f"/admin/contests/{CONTEST}/evidence", admin_token))  # evidence_too_large

    output = capsys.readouterr().out
    assert run.codes == set(CODES)  # a new code in the catalogue needs its line above
    assert counted(output)  # the run was metered
    for voter in run.voters:
        assert readable_identity(output.encode(), voter) == [], voter.certificate.subject.rfc4514_string()
    for secret in run.secrets:
        assert secret not in output
    receipts = [record.receipt for record in service.store.votes_of(CONTEST)]
    assert receipts and not any(receipt in output for receipt in receipts)


def wired_contest(contest_id: str, **options: object):
    from chalicelib.voting.contest import parse_contest

    return parse_contest(contest_file(contest_id, **options))


def test_a_requests_log_line_carries_the_apis_request_id_as_its_correlation_id(service, capsys):
    """API Gateway's request id (requestContext.requestId) ties the line to the API's access log."""
    from chalice.local import LambdaContext

    import app as application

    event = {"resource": "/contests", "path": "/contests", "httpMethod": "GET", "headers": {},
             "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
             "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
             "requestContext": {"resourcePath": "/contests", "httpMethod": "GET", "path": "/api/contests",
                                "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "identity": {}}}
    capsys.readouterr()
    assert application.app(event, LambdaContext("api_handler", 256))["statusCode"] == 200
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    [request] = [line for line in lines if line.get("event") == "request"]
    assert (request["action"], request["correlation_id"]) == ("list_contests", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
