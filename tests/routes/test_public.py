"""The public HTTP contract through chalice.test.Client: the rules on the store in memory; storage
failures and a race of one person on DynamoDB (moto, and dynalite)."""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from chalicelib import runtime
from chalicelib.voting.ballot import ballot_bytes
from chalicelib.voting.evidence import SealedVote, opened
from devtools import devpki
from tests.conftest import NOW, readable_identity

CONTEST = "best-social-worker-2025"


def body(response) -> dict:
    return json.loads(response.body)


def error(response) -> str:
    return body(response)["error"]




def test_contest_list_shows_id_title_status_and_window(service):
    contests = body(service.http.get("/contests"))["contests"]
    assert [(c["id"], c["status"]) for c in contests] == [(CONTEST, "open")]
    assert contests[0]["closes_at"] == "2026-03-15T09:00:00.000000Z"
    assert contests[0]["title"]["kk"] == "Үздік әлеуметтік қызметкер"


def test_contest_shows_its_nominations_and_nominees(service):
    contest = body(service.http.get(f"/contests/{CONTEST}"))
    assert [n["id"] for n in contest["nominations"]] == ["home-care", "rehab"]
    assert contest["nominations"][0]["nominees"][0]["name"] == "Айгүл Сейтқали"


def test_unknown_contest_is_404_in_the_callers_language(service):
    response = service.http.get("/contests/nope", headers={"Accept-Language": "kk-KZ,kk;q=0.9"})
    assert response.status_code == 404
    assert body(response) == {"error": "contest_not_found", "message": "Мұндай байқау жоқ."}


def test_challenge_is_issued_for_ten_minutes(service):
    response = service.http.post(f"/contests/{CONTEST}/challenges")
    assert response.status_code == 201
    assert body(response)["expires_at"] == (NOW + timedelta(minutes=10)).isoformat()


def test_vote_is_recorded_with_a_receipt(service):
    response = service.post_vote(service.vote_body(service.pki.voter("900101300123")))
    assert response.status_code == 201
    vote = body(response)
    assert (vote["contest"], vote["nominee"], vote["cast_at"]) == (CONTEST, "hc-001", "2026-03-10T09:00:00.000000Z")
    [item] = service.votes()
    assert (item.nominee, item.nomination, item.receipt, item.algorithm) == ("hc-001", "home-care", vote["receipt"],
                                                                             "RSA/SHA-256")


def raw_items(store) -> list[dict]:
    """The votes table's items as DynamoDB holds them (what a Scan, a backup or an export shows)."""
    connection = store.votes._get_connection()
    return connection.scan()["Items"]


def item_bytes(item: dict) -> bytes:
    return b"\0".join(value.get("B") or str(value.get("S", "")).encode() for value in item.values())


def test_a_stored_vote_names_nobody_and_keeps_its_evidence_sealed(dynamo_service):
    service = dynamo_service
    voter = service.pki.voter("900101300123")
    assert service.post_vote(service.vote_body(voter)).status_code == 201
    [item] = raw_items(service.store)
    assert set(item) == {"pk", "contest", "voter", "receipt", "nominee", "nomination", "cast_at", "algorithm",
                         "evidence"}
    assert readable_identity(item_bytes(item), voter) == []
    assert b"TEST NCA" not in item_bytes(item)  # nor the issuer


def test_the_stored_evidence_opens_with_the_commissions_key_to_the_signed_ballot(service, commission):
    voter = service.pki.voter("900101300123")
    body = service.vote_body(voter)
    service.post_vote(body)
    [vote] = service.votes()
    sealed = SealedVote(vote.receipt, vote.contest, vote.voter, vote.nominee, vote.cast_at, vote.evidence)
    assert opened(sealed, commission).cms == base64.b64decode(body["cms"])


def test_same_person_retrying_the_same_ballot_gets_200_and_the_same_receipt(service):
    voter = service.pki.voter("900101300123")
    first = service.post_vote(service.vote_body(voter))
    again = service.post_vote(service.vote_body(voter))
    assert (first.status_code, again.status_code) == (201, 200)
    assert body(again) == body(first)


def test_same_person_with_another_certificate_for_another_nominee_is_already_voted(service):
    service.post_vote(service.vote_body(service.pki.voter("900101300123")))
    other_key = service.pki.voter("900101300123", key_kind="ec256")
    response = service.post_vote(service.vote_body(other_key, nominee="rh-001"))
    assert (response.status_code, error(response)) == (409, "already_voted")
    assert [v.nominee for v in service.votes()] == ["hc-001"]


def test_receipt_tells_the_vote_without_the_voter(service):
    vote = body(service.post_vote(service.vote_body(service.pki.voter("900101300123"))))
    response = service.http.get(f"/receipts/{vote['receipt'].lower().replace('-', '')}")
    assert body(response) == {"contest": CONTEST, "nominee": "hc-001", "cast_at": vote["cast_at"], "counted": None}


def test_unknown_receipt_is_404(service):
    response = service.http.get("/receipts/AAAA-BBBB-CCCC-DDDD-EEEE-FFFF")
    assert (response.status_code, error(response)) == (404, "receipt_not_found")


def test_vote_before_opening_is_refused_and_not_stored(service):
    voter = service.pki.voter("900101300123")
    vote = service.vote_body(voter)
    service.clock.now = NOW - timedelta(hours=2)
    response = service.post_vote(vote)
    assert (response.status_code, error(response)) == (403, "voting_not_open")
    assert service.votes() == []


def test_vote_one_microsecond_before_closing_counts_and_at_closing_is_refused(service):
    closes = NOW + timedelta(days=5)
    service.clock.now = closes - timedelta(minutes=1)
    early = service.vote_body(service.pki.voter("900101300123"))
    late = service.vote_body(service.pki.voter("900101300124"))
    service.clock.now = closes - timedelta(microseconds=1)
    assert service.post_vote(early).status_code == 201
    service.clock.now = closes
    response = service.post_vote(late)
    assert (response.status_code, error(response)) == (403, "voting_closed")
    assert len(service.votes()) == 1


def test_a_ballot_for_a_closed_contest_is_refused_before_its_signature_is_read(service):
    service.clock.now = NOW + timedelta(days=6)
    unreadable = json.dumps({"cms": base64.b64encode(b"0" * 2000).decode()}).encode()
    response = service.post_vote(unreadable)  # read, it would be 400 malformed_request
    assert (response.status_code, error(response)) == (403, "voting_closed")
    assert service.votes() == []


def test_challenge_for_a_closed_contest_is_refused(service):
    service.clock.now = NOW + timedelta(days=6)
    response = service.http.post(f"/contests/{CONTEST}/challenges")
    assert (response.status_code, error(response)) == (403, "voting_closed")


def test_body_over_64_kib_is_413_before_parsing(service):
    response = service.post_vote(b"{" * (64 * 1024 + 1))
    assert (response.status_code, error(response)) == (413, "payload_too_large")


@pytest.mark.parametrize("payload", [
    b"not json", b"[]", b'{"cms": 5}', b'{"cms": ""}', b'{"cms": "***"}', b'{"content": "YQ=="}',
    b'{"cms": "YQ==", "extra": 1}', b'{"cms": "MAA="}', b"\xff\xfe", b'{"cms": "YQ==", "content": 7}',
])
def test_malformed_bodies_are_400_and_store_nothing(service, payload):
    response = service.post_vote(payload)
    assert (response.status_code, error(response)) == (400, "malformed_request")
    assert service.votes() == []


def test_ballot_for_another_contest_is_invalid(service):
    vote = service.vote_body(service.pki.voter("900101300123"), contest="other-contest",
                             challenge=service.challenge())
    response = service.post_vote(vote)
    assert (response.status_code, error(response)) == (422, "invalid_ballot")


def test_ballot_for_an_unknown_nominee_is_invalid(service):
    response = service.post_vote(service.vote_body(service.pki.voter("900101300123"), nominee="zz-999"))
    assert (response.status_code, error(response)) == (422, "invalid_ballot")


def test_signed_content_that_is_not_a_ballot_is_invalid(service):
    cms = service.pki.sign(b'{"v": 1, "contest": "x"}', service.pki.voter("900101300123"))
    response = service.post_vote({"cms": base64.b64encode(cms).decode()})
    assert (response.status_code, error(response)) == (422, "invalid_ballot")


def test_forged_challenge_is_refused(service):
    challenge = service.challenge()
    forged = challenge[:-2] + ("AA" if not challenge.endswith("AA") else "BB")
    response = service.post_vote(service.vote_body(service.pki.voter("900101300123"), challenge=forged))
    assert (response.status_code, error(response)) == (422, "invalid_challenge")


def test_challenge_older_than_ten_minutes_is_refused(service):
    vote = service.vote_body(service.pki.voter("900101300123"))
    service.clock.advance(minutes=10, seconds=1)
    response = service.post_vote(vote)
    assert (response.status_code, error(response)) == (422, "invalid_challenge")


def test_detached_cms_with_content_is_accepted(service):
    voter = service.pki.voter("900101300123")
    ballot = ballot_bytes(CONTEST, "rh-001", service.challenge())
    cms = service.pki.sign(ballot, voter, detached=True)
    response = service.post_vote({"cms": base64.b64encode(cms).decode(), "content": base64.b64encode(ballot).decode()})
    assert response.status_code == 201 and body(response)["nominee"] == "rh-001"


def test_signature_rejections_have_their_contract_code(service):
    response = service.post_vote(service.vote_body(service.pki.voter("900101300123", usage="auth")))
    assert (response.status_code, error(response)) == (422, "certificate_not_for_signing")
    response = service.post_vote(service.vote_body(service.pki.voter("900101300123", role="legal_entity")))
    assert (response.status_code, error(response)) == (403, "not_an_individual")


def test_storage_throttling_gives_503_with_retry_after_and_no_vote(dynamo_service, monkeypatch):
    service = dynamo_service
    from pynamodb.exceptions import PutError

    throttled = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                            "PutItem")

    def throttle(*args, **kwargs):
        raise PutError("throttled", cause=throttled)

    monkeypatch.setattr(service.store.votes, "save", throttle)
    response = service.post_vote(service.vote_body(service.pki.voter("900101300123")))
    assert (response.status_code, error(response)) == (503, "unavailable")
    assert response.headers["Retry-After"]
    monkeypatch.undo()
    assert service.votes() == []


def test_twenty_threads_of_one_person_with_different_certificates_store_exactly_one_vote(racing_service):
    service = racing_service
    nominees = ["hc-001", "hc-002", "rh-001"]
    bodies = [
        service.vote_body(devpki.issue_person(service.pki.intermediate, "900101300123",
                                              not_before=NOW - timedelta(days=1)), nominee=nominees[i % 3])
        for i in range(20)
    ]
    statuses: list[int] = []
    start = threading.Barrier(20)

    def cast(vote: dict) -> None:
        start.wait()
        statuses.append(service.post_vote(vote).status_code)

    threads = [threading.Thread(target=cast, args=(b,)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(201) == 1
    assert set(statuses) <= {201, 200, 409}
    assert len(service.votes()) == 1


def test_logs_carry_decisions_but_never_the_iin_or_the_token(service, capsys):
    challenge = service.challenge()
    service.post_vote(service.vote_body(service.pki.voter("900101300123"), challenge=challenge))
    service.post_vote(service.vote_body(service.pki.voter("900101300123", usage="auth")))
    output = capsys.readouterr().out
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("event") == "request"]
    decisions = [(line["action"], line["decision"], line.get("code")) for line in requests]
    assert ("cast_vote", "ok", None) in decisions
    assert ("cast_vote", "rejected", "certificate_not_for_signing") in decisions
    assert all("duration_ms" in line and line["function_request_id"] for line in requests)
    assert "900101300123" not in output and challenge not in output


def test_rejection_logs_never_carry_the_citizens_certificate_serial(service, capsys):
    from tests.conftest import make_runtime

    revoked = service.pki.voter("900101300124")
    expired = service.pki.voter("900101300125", not_before=NOW - timedelta(days=400), days=30)
    crls = service.pki.crls({revoked.certificate.serial_number: NOW - timedelta(days=1)})
    runtime.install(make_runtime(service.pki, service.clock, service.store, service.pki.revocation(crls)))
    capsys.readouterr()
    assert error(service.post_vote(service.vote_body(revoked))) == "certificate_revoked"
    assert error(service.post_vote(service.vote_body(expired))) == "certificate_expired"
    output = capsys.readouterr().out
    assert readable_identity(output.encode(), revoked) == readable_identity(output.encode(), expired) == []


@pytest.fixture
def cached(service):
    """The service as AWS runs it: each process keeps its copies of contests for 5 s."""
    from tests.conftest import make_runtime

    runtime.install(make_runtime(service.pki, service.clock, service.store, contest_cache_seconds=5.0))
    return service


@pytest.mark.parametrize("path", ["/contests", f"/contests/{CONTEST}"])
def test_the_list_and_a_contest_may_be_kept_by_a_cache_for_five_seconds(cached, path):
    assert cached.http.get(path).headers["Cache-Control"] == "public, max-age=5"


def test_refusals_are_never_cached(cached):
    assert cached.http.get("/contests/nope").headers["Cache-Control"] == "no-store"
    assert cached.http.get(f"/contests/{CONTEST}/results").headers["Cache-Control"] == "no-store"


def test_published_results_may_be_kept_by_a_cache_for_an_hour(service):
    service.clock.advance(days=5, minutes=2)
    service.runtime.closer.run()
    response = service.http.get(f"/contests/{CONTEST}/results")
    assert (response.status_code, response.headers["Cache-Control"]) == (200, "public, max-age=3600")


def test_health_is_ok_when_every_part_a_vote_needs_is_there(service):
    response = service.http.get("/health")
    assert (response.status_code, json.loads(response.body)) == (200, {"status": "ok", "checks": {
        "settings": "ok", "secret": "ok", "trust_anchors": "ok", "evidence_key": "ok", "tables": "ok"}})
    assert response.headers["Cache-Control"] == "no-store"


def test_health_names_the_part_that_failed_and_answers_503(service, capsys):
    from tests.conftest import make_runtime

    wired = make_runtime(service.pki, service.clock, service.store, trust_dir="/nonexistent")
    del wired.__dict__["verifier"]  # built from the trust folder, as in AWS
    runtime.install(wired)
    response = service.http.get("/health")
    document = json.loads(response.body)
    assert (response.status_code, document["error"], document["status"]) == (503, "unavailable", "unavailable")
    assert document["checks"]["trust_anchors"] == "failed" and document["checks"]["tables"] == "ok"
    assert response.headers["Retry-After"]
    assert "/nonexistent" not in response.body.decode() and "/nonexistent" in capsys.readouterr().out


def test_health_with_unusable_settings_says_so(service, monkeypatch):
    runtime.install(None)
    monkeypatch.setenv("VOTING_CRL_CACHE_SECONDS", "many")  # not one the dev stage sets for each request
    response = service.http.get("/health")
    assert (response.status_code, json.loads(response.body)["checks"]) == (503, {"settings": "failed"})


def test_health_reaches_the_tables_at_most_once_per_five_seconds(service, monkeypatch):
    reached = []
    monkeypatch.setattr(service.store, "reach", lambda: reached.append(1))
    for _ in range(20):
        assert service.http.get("/health").status_code == 200
    assert reached == [1]


# --- a citizen's own receipt, and the receipt's check link as a QR code ---------------------------

def receipt_request(service, voter, contest: str = CONTEST) -> dict:
    from chalicelib.voting.ballot import receipt_request_bytes

    issued = service.http.post(f"/contests/{contest}/challenges", body=json.dumps({"purpose": "receipt-request"}),
                               headers={"Content-Type": "application/json"})
    assert issued.status_code == 201, issued.body
    cms = service.pki.sign(receipt_request_bytes(contest, body(issued)["challenge"]), voter)
    return {"cms": base64.b64encode(cms).decode()}


def recover(service, request: dict, contest: str = CONTEST):
    return service.http.post(f"/contests/{contest}/receipt-requests", body=json.dumps(request),
                             headers={"Content-Type": "application/json"})


def test_a_signed_receipt_request_answers_the_signers_own_receipt(service):
    voter = service.pki.voter("900101300131")
    vote = body(service.post_vote(service.vote_body(voter, nominee="rh-001")))
    response = recover(service, receipt_request(service, voter))
    assert response.status_code == 200
    assert body(response) == {"receipt": vote["receipt"], "contest": CONTEST, "nominee": "rh-001",
                              "cast_at": vote["cast_at"], "counted": None}


def test_a_receipt_request_of_someone_who_did_not_vote_is_404_vote_not_found(service):
    response = recover(service, receipt_request(service, service.pki.voter("900101300132")))
    assert (response.status_code, error(response)) == (404, "vote_not_found")


def test_a_ballot_posted_as_a_receipt_request_is_invalid(service):
    response = recover(service, service.vote_body(service.pki.voter("900101300133")))
    assert (response.status_code, error(response)) == (422, "invalid_ballot")


def test_a_challenge_of_an_unknown_purpose_is_a_malformed_request(service):
    response = service.http.post(f"/contests/{CONTEST}/challenges", body=json.dumps({"purpose": "admin-login"}),
                                 headers={"Content-Type": "application/json"})
    assert (response.status_code, error(response)) == (400, "malformed_request")


def test_the_receipts_qr_code_is_its_check_link_under_the_public_address(service):
    from chalicelib.adapters.qr import qr_svg
    from chalicelib.routes.public import RECEIPT_QR_TITLE
    from tests.conftest import PUBLIC_URL

    response = service.http.get("/receipts/abcd efgh ijkl mnop qrst uvwx/qr")  # as typed: any case, spaces
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/svg+xml"
    assert "private" in response.headers["Cache-Control"]
    assert response.body.decode() == qr_svg(f"{PUBLIC_URL}/?receipt=ABCD-EFGH-IJKL-MNOP-QRST-UVWX", RECEIPT_QR_TITLE)


def test_a_qr_code_of_what_is_not_a_receipt_is_404(service):
    response = service.http.get("/receipts/not-a-receipt/qr")
    assert (response.status_code, error(response)) == (404, "receipt_not_found")


@pytest.mark.parametrize("content_type", ["image/png", "text/csv", "application/xml", ""])
def test_a_vote_whatever_its_content_type_says_is_judged_by_its_body(service, content_type):
    voted = service.post_vote(service.vote_body(service.pki.voter("900101300511")), **{"Content-Type": content_type})
    assert voted.status_code == 201, voted.body
    refused = service.post_vote(b"not json", **{"Content-Type": content_type})
    assert (refused.status_code, json.loads(refused.body)["error"]) == (400, "malformed_request")


@pytest.mark.parametrize("path", ["/", "/contests", "/health", "/openapi.json"])
def test_a_stray_content_type_on_a_read_is_ignored(service, path):
    assert service.http.get(path, headers={"Content-Type": "text/plain"}).status_code == 200


def test_a_challenge_request_over_one_kib_is_payload_too_large(service):
    response = service.http.post(f"/contests/{CONTEST}/challenges", body=b"1" * 2000,
                                 headers={"Content-Type": "application/json"})
    assert (response.status_code, json.loads(response.body)["error"]) == (413, "payload_too_large")
