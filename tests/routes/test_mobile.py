"""Voting from a phone (DESIGN.md, "Signing from a phone"): the page's session routes and eGov
mobile's API 1 and API 2, through chalice.test.Client on the store in memory, and the race of two
phones on DynamoDB (moto, and dynalite). Every hostile input gets the contract's 4xx."""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.voting import challenge
from chalicelib.voting.ballot import ballot_bytes
from chalicelib.voting.keys import Keys
from devtools import devpki
from tests.conftest import NOW, PUBLIC_URL, SECRET

CONTEST = "best-social-worker-2025"
IIN = "900101300123"


def body(response) -> dict:
    return json.loads(response.body)


@dataclass
class Phone:
    """What eGov mobile does with a session: read API 1, fetch API 2, sign, PUT."""

    service: object

    @property
    def http(self):
        return self.service.http

    def start(self, nominee: str = "hc-001", contest: str = CONTEST, **headers: str):
        return self.http.post(f"/contests/{contest}/mobile-signatures", body=json.dumps({"nominee": nominee}),
                              headers={"Content-Type": "application/json", **headers})

    def session(self, nominee: str = "hc-001") -> dict:
        response = self.start(nominee)
        assert response.status_code == 201, response.body
        return body(response)

    def api1(self, sid: str, **headers: str):
        return self.http.get(f"/egov/{sid}", headers=headers)

    def token(self, sid: str) -> str:
        return body(self.api1(sid))["document"]["auth_token"]

    def api2(self, sid: str, token: str | None = None, **headers: str):
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.get(f"/egov/{sid}/document", headers=headers)

    def document(self, sid: str) -> dict:
        response = self.api2(sid, self.token(sid))
        assert response.status_code == 200, response.body
        return body(response)

    def ballot(self, sid: str) -> bytes:
        return base64.b64decode(self.document(sid)["documentsToSign"][0]["document"]["file"]["data"])

    def signed(self, sid: str, cms: bytes) -> bytes:
        answer = self.document(sid)
        answer["documentsToSign"][0]["document"]["file"]["data"] = base64.b64encode(cms).decode()
        return json.dumps(answer).encode()

    def put(self, sid: str, data: bytes, token: str | None = "", **headers: str):
        token = self.token(sid) if token == "" else token
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.put(f"/egov/{sid}/document", body=data, headers={"Content-Type": "application/json",
                                                                           **headers})

    def sign_as(self, sid: str, iin: str = IIN, content: bytes | None = None, **options: object):
        voter = self.service.pki.voter(iin, **options)
        cms = self.service.pki.sign(content if content is not None else self.ballot(sid), voter)
        return self.put(sid, self.signed(sid, cms))

    def poll(self, sid: str, contest: str = CONTEST, **headers: str):
        return self.http.get(f"/contests/{contest}/mobile-signatures/{sid}", headers=headers)


@pytest.fixture
def phone(service) -> Phone:
    return Phone(service)


# Starting a session (the page)


def test_a_session_answers_its_qr_text_its_same_device_link_and_its_expiry(phone):
    started = phone.session()
    api1 = f"{PUBLIC_URL}/egov/{started['id']}"
    assert started["qr"] == f"mobileSign:{api1}"
    assert started["link"] == (f"https://mgovsign.page.link/?link={quote(api1, safe='')}"
                               "&isi=1476128386&ibi=kz.egov.mobile&apn=kz.mobile.mgov")
    assert started["expires_at"] == (NOW + timedelta(minutes=10)).isoformat()


def test_session_ids_and_tokens_are_distinct_and_carry_128_bits_or_more(phone):
    first, second = phone.session(), phone.session()
    tokens = {phone.token(first["id"]), phone.token(second["id"])}
    assert first["id"] != second["id"] and len(tokens) == 2 and not tokens & {first["id"], second["id"]}
    for text in (first["id"], *tokens):
        assert len(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))) >= 16


def test_a_session_for_a_contest_not_yet_open_is_refused(service, phone):
    service.clock.now = NOW - timedelta(hours=2)
    assert body(phone.start())["error"] == "voting_not_open"


def test_a_session_for_a_closed_contest_is_refused(service, phone):
    service.clock.advance(days=6)
    response = phone.start()
    assert (response.status_code, body(response)["error"]) == (403, "voting_closed")


def test_a_session_for_an_unknown_nominee_is_an_invalid_ballot(phone):
    response = phone.start("nobody")
    assert (response.status_code, body(response)["error"]) == (422, "invalid_ballot")


def test_a_session_for_an_unknown_contest_is_404(phone):
    assert body(phone.start(contest="nope"))["error"] == "contest_not_found"


@pytest.mark.parametrize("payload", [b"", b"not json", b"[]", b'{"nominee": 5}', b'{"nominee": "hc-001", "x": 1}',
                                     b'{"nominees": "hc-001"}', b"\xff\xfe"])
def test_a_malformed_session_request_is_400(service, payload):
    response = service.http.post(f"/contests/{CONTEST}/mobile-signatures", body=payload,
                                 headers={"Content-Type": "application/json"})
    assert (response.status_code, body(response)["error"]) == (400, "malformed_request")


def test_a_session_request_over_64_kib_is_413(service):
    response = service.http.post(f"/contests/{CONTEST}/mobile-signatures", body=b"{" + b" " * 70000 + b"}",
                                 headers={"Content-Type": "application/json"})
    assert (response.status_code, body(response)["error"]) == (413, "payload_too_large")


def test_mobile_signing_is_off_without_a_public_address(service, monkeypatch):
    from chalicelib import runtime
    from tests.conftest import make_runtime

    off = make_runtime(service.pki, service.clock, service.store, public_url=None)
    runtime.install(off)
    assert body(service.http.post(f"/contests/{CONTEST}/mobile-signatures", body=b'{"nominee": "hc-001"}',
                                  headers={"Content-Type": "application/json"}))["error"] == "unavailable"


# API 1 and API 2 (eGov mobile)


def test_api1_says_what_is_asked_by_whom_until_when_and_where_the_document_is(phone):
    sid = phone.session()["id"]
    api1 = body(phone.api1(sid, **{"Accept-Language": "ru-RU,ru;q=0.9"}))
    assert set(api1) == {"description", "expiry_date", "organisation", "document"}
    assert api1["description"] == ("Лучший социальный работник. Ваш голос: Айгүл Сейтқали, номинация "
                                   "«Надомное обслуживание». Это ваш единственный голос в конкурсе: после подписи "
                                   "изменить его нельзя.")
    assert api1["expiry_date"] == (NOW + timedelta(minutes=10)).isoformat()
    assert api1["organisation"] == {"nameRu": "Министерство труда (тест)", "nameKz": "Еңбек министрлігі (тест)",
                                    "nameEn": "Ministry of Labour (test)", "bin": "123456789012"}
    document = api1["document"]
    assert (document["uri"], document["auth_type"]) == (f"{PUBLIC_URL}/egov/{sid}/document", "Token")
    assert len(document["auth_token"]) >= 22


def test_api1_speaks_all_three_languages_when_the_app_names_none(phone):
    description = body(phone.api1(phone.session()["id"]))["description"].split("\n")
    assert [line.split(". ")[1].split(":")[0] for line in description] == ["Сіздің дауысыңыз", "Ваш голос",
                                                                          "Your vote"]


def test_api1_speaks_kazakh_when_asked(phone):
    description = body(phone.api1(phone.session()["id"], **{"Accept-Language": "kk"}))["description"]
    assert description.startswith("Үздік әлеуметтік қызметкер. Сіздің дауысыңыз: Айгүл Сейтқали, «Үйде қызмет")


def test_api2_holds_the_contracts_ballot_with_a_fresh_challenge_valid_while_the_session_is(phone):
    started = phone.session("rh-001")
    sid, session_ends = started["id"], datetime.fromisoformat(started["expires_at"])
    document = phone.document(sid)
    assert (document["signMethod"], document["version"], len(document["documentsToSign"])) == ("CMS_WITH_DATA", 1, 1)
    item = document["documentsToSign"][0]
    assert (item["id"], item["document"]["file"]["mime"]) == (1, "")
    ballot = json.loads(base64.b64decode(item["document"]["file"]["data"]))
    assert set(ballot) == {"v", "contest", "nominee", "challenge"}
    assert (ballot["v"], ballot["contest"], ballot["nominee"]) == (1, CONTEST, "rh-001")
    key = Keys(SECRET).challenge
    assert NOW + timedelta(minutes=9, seconds=59) <= session_ends <= NOW + timedelta(minutes=10)
    last_moment = session_ends - timedelta(microseconds=1)
    assert challenge.is_valid(key, challenge.VOTE, CONTEST, ballot["challenge"], last_moment)
    assert challenge.lifetime_of(ballot["challenge"])[1] == session_ends  # the audit's window is the session's


def test_api2_names_the_contest_nomination_and_nominee_in_three_languages(phone):
    item = phone.document(phone.session()["id"])["documentsToSign"][0]
    assert item["nameRu"] == "Голос за: Айгүл Сейтқали — номинация «Надомное обслуживание», Лучший социальный работник"
    assert item["nameKz"] == "Дауыс: Айгүл Сейтқали — «Үйде қызмет көрсету» номинациясы, Үздік әлеуметтік қызметкер"
    assert item["nameEn"] == "Vote for Айгүл Сейтқали — nomination “Home care”, Best social worker"
    lines = {line["name"]: line["value"] for line in item["meta"]}
    assert lines["Байқау · Конкурс · Contest"] == ("Үздік әлеуметтік қызметкер · Лучший социальный работник · "
                                                   "Best social worker")
    assert lines["Үміткер · Кандидат · Nominee"] == "Айгүл Сейтқали"


# Signing (API 2 PUT) and polling


def test_a_signed_ballot_is_recorded_and_the_page_sees_its_receipt(service, phone):
    sid = phone.session()["id"]
    response = phone.sign_as(sid)
    assert response.status_code == 200, response.body
    vote = body(response)["vote"]
    assert body(phone.poll(sid)) == {"status": "accepted", "vote": vote, "error": None}
    assert body(service.http.get(f"/receipts/{vote['receipt']}"))["nominee"] == "hc-001"
    assert [v.nominee for v in service.votes()] == ["hc-001"]


def test_a_waiting_session_polls_as_waiting(phone):
    sid = phone.session()["id"]
    assert body(phone.poll(sid)) == {"status": "waiting", "vote": None, "error": None}


def test_the_same_ballot_signed_on_the_phone_after_ncalayer_is_the_same_vote(service, phone):
    first = body(service.post_vote(service.vote_body(service.pki.voter(IIN))))
    sid = phone.session()["id"]
    response = phone.sign_as(sid)
    assert (response.status_code, body(response)["vote"]["receipt"]) == (200, first["receipt"])
    assert len(service.votes()) == 1


def test_a_person_who_voted_with_ncalayer_is_told_already_voted_on_the_phone(service, phone):
    service.post_vote(service.vote_body(service.pki.voter(IIN), nominee="rh-001"))
    sid = phone.session("hc-001")["id"]
    response = phone.sign_as(sid)
    assert (response.status_code, body(response)["error"]) == (409, "already_voted")
    polled = body(phone.poll(sid, **{"Accept-Language": "en"}))
    assert (polled["status"], polled["vote"], polled["error"]["error"]) == ("rejected", None, "already_voted")
    assert polled["error"]["message"].startswith("Everyone has one vote in this contest")
    assert [v.nominee for v in service.votes()] == ["rh-001"]


def test_the_identical_put_again_gets_the_same_answer(phone):
    sid = phone.session()["id"]
    voter = phone.service.pki.voter(IIN)
    signed = phone.signed(sid, phone.service.pki.sign(phone.ballot(sid), voter))
    first, again = phone.put(sid, signed), phone.put(sid, signed)
    assert (again.status_code, body(again)) == (first.status_code, body(first)) == (200, body(first))


def test_any_other_put_after_the_session_is_settled_is_409_session_used(service, phone):
    sid = phone.session()["id"]
    assert phone.sign_as(sid).status_code == 200
    response = phone.sign_as(sid, iin="900101300999")
    assert (response.status_code, body(response)["error"]) == (409, "session_used")
    assert len(service.votes()) == 1


def test_a_rejected_session_answers_its_code_again_and_nothing_else(service, phone):
    sid = phone.session()["id"]
    voter = service.pki.voter("900101300555", role="legal_entity")
    signed = phone.signed(sid, service.pki.sign(phone.ballot(sid), voter))
    first = phone.put(sid, signed)
    assert (first.status_code, body(first)["error"]) == (403, "not_an_individual")
    assert body(phone.put(sid, signed))["error"] == "not_an_individual"
    assert body(phone.sign_as(sid))["error"] == "session_used"
    assert body(phone.poll(sid))["status"] == "rejected"
    assert service.votes() == []


def test_a_cms_over_other_bytes_is_refused_and_settles_nothing(service, phone):
    sid = phone.session()["id"]
    other = ballot_bytes(CONTEST, "hc-002", service.challenge())
    response = phone.sign_as(sid, content=other)
    assert (response.status_code, body(response)["error"]) == (422, "invalid_ballot")
    assert body(phone.poll(sid))["status"] == "waiting"
    assert service.votes() == []
    assert phone.sign_as(sid).status_code == 200


def refused_and_still_waiting(phone: Phone, sid: str, cms: bytes, code: str) -> None:
    """The PUT of `cms` is refused with `code` (and told why), the session still waits, and the
    citizen's own signature then records the vote."""
    response = phone.put(sid, phone.signed(sid, cms))
    assert (response.status_code, body(response)["error"]) == (422, code)
    assert body(response)["message"]
    assert body(phone.poll(sid))["status"] == "waiting"
    assert phone.sign_as(sid).status_code == 200


def test_a_signature_that_does_not_verify_settles_nothing(service, phone):
    sid = phone.session()["id"]
    ballot = phone.ballot(sid)
    voter = service.pki.voter(IIN)
    forged = service.pki.sign(ballot, voter, message_digest=b"\x00" * 32)
    refused_and_still_waiting(phone, sid, forged, "invalid_signature")


def test_a_signature_under_an_untrusted_ca_settles_nothing(service, phone):
    sid = phone.session()["id"]
    stranger = devpki.issue_ca("STRANGER ROOT", not_before=NOW - timedelta(days=10))
    impostor = devpki.issue_person(stranger, IIN, not_before=NOW - timedelta(days=1))
    cms = devpki.sign_cms(phone.ballot(sid), impostor, chain=(stranger,))
    refused_and_still_waiting(phone, sid, cms, "untrusted_certificate")


OUT_OF_VALIDITY = [({"not_before": NOW - timedelta(days=400), "days": 30}, "certificate_expired"),
                   ({"not_before": NOW + timedelta(days=1)}, "certificate_not_yet_valid")]


@pytest.mark.parametrize(("validity", "code"), OUT_OF_VALIDITY)
def test_a_certificate_out_of_its_validity_settles_nothing_and_the_phone_is_told_why(service, phone, validity, code):
    sid = phone.session()["id"]
    voter = service.pki.voter(IIN, **validity)
    refused_and_still_waiting(phone, sid, service.pki.sign(phone.ballot(sid), voter), code)


def test_a_detached_cms_is_refused_since_the_app_returns_an_attached_one(service, phone):
    sid = phone.session()["id"]
    detached = service.pki.sign(phone.ballot(sid), service.pki.voter(IIN), detached=True)
    response = phone.put(sid, phone.signed(sid, detached))
    assert (response.status_code, body(response)["error"]) == (400, "malformed_request")
    assert body(phone.poll(sid))["status"] == "waiting"


def test_the_ballots_challenge_outlives_the_session(service, phone):
    sid = phone.session()["id"]
    ballot, token = phone.ballot(sid), phone.token(sid)
    service.clock.advance(minutes=9, seconds=59)
    cms = service.pki.sign(ballot, service.pki.voter(IIN))
    document = body(phone.api2(sid, token))
    document["documentsToSign"][0]["document"]["file"]["data"] = base64.b64encode(cms).decode()
    assert phone.put(sid, json.dumps(document).encode(), token).status_code == 200


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic dXNlcjpwYXNz", "Bearer", "bearer  ",
                                           "Bearer " + "x" * 500])
def test_a_wrong_or_missing_token_is_401_and_settles_nothing(service, phone, authorization):
    sid = phone.session()["id"]
    headers = {} if authorization is None else {"Authorization": authorization}
    assert body(phone.api2(sid, **headers))["error"] == "unauthorized"
    signed = phone.signed(sid, service.pki.sign(phone.ballot(sid), service.pki.voter(IIN)))
    response = phone.put(sid, signed, None, **headers)
    assert (response.status_code, body(response)["error"]) == (401, "unauthorized")
    assert body(phone.poll(sid))["status"] == "waiting"


def test_the_token_of_another_session_is_401(phone):
    first, second = phone.session()["id"], phone.session()["id"]
    response = phone.api2(first, phone.token(second))
    assert (response.status_code, body(response)["error"]) == (401, "unauthorized")


UNKNOWN_IDS = ["AAAAAAAAAAAAAAAAAAAAAA", "short", "x" * 300, "..%2F..%2Fetc", "Ключ-сеанса-22-символа", "%00"]


@pytest.mark.parametrize("sid", UNKNOWN_IDS)
def test_an_unknown_session_is_404_on_every_route(phone, sid):
    answers = [phone.api1(sid), phone.api2(sid, "t"), phone.put(sid, b"{}", "t"), phone.poll(sid),
               phone.http.get(f"/contests/{CONTEST}/mobile-signatures/{sid}/qr")]
    assert [(r.status_code, body(r)["error"]) for r in answers] == [(404, "session_not_found")] * 5


def test_a_session_polled_under_another_contest_is_404(phone):
    sid = phone.session()["id"]
    assert body(phone.poll(sid, contest="another"))["error"] == "session_not_found"


def test_an_expired_session_is_410_for_the_app_and_expired_for_the_page(service, phone):
    sid = phone.session()["id"]
    token, ballot = phone.token(sid), phone.ballot(sid)
    service.clock.advance(minutes=10)
    cms = service.pki.sign(ballot, service.pki.voter(IIN))
    put = phone.put(sid, json.dumps({"documentsToSign": [{"id": 1, "document": {"file": {
        "data": base64.b64encode(cms).decode()}}}]}).encode(), token)
    answers = [phone.api1(sid), phone.api2(sid, token), put,
               phone.http.get(f"/contests/{CONTEST}/mobile-signatures/{sid}/qr")]
    assert [(r.status_code, body(r)["error"]) for r in answers] == [(410, "session_expired")] * 4
    assert body(phone.poll(sid)) == {"status": "expired", "vote": None, "error": None}
    assert service.votes() == []


def test_the_identical_put_after_the_session_expired_still_gets_its_answer(service, phone):
    sid = phone.session()["id"]
    token, ballot = phone.token(sid), phone.ballot(sid)
    signed = phone.signed(sid, service.pki.sign(ballot, service.pki.voter(IIN)))
    other = phone.signed(sid, service.pki.sign(ballot, service.pki.voter("900101300999")))
    first = phone.put(sid, signed, token)
    service.clock.advance(minutes=11)
    again = phone.put(sid, signed, token)
    assert (again.status_code, body(again)) == (first.status_code, body(first)) == (200, body(first))
    assert body(phone.put(sid, other, token))["error"] == "session_expired"


def test_an_accepted_session_still_shows_its_vote_after_expiry(service, phone):
    sid = phone.session()["id"]
    phone.sign_as(sid)
    service.clock.advance(minutes=30)
    assert body(phone.poll(sid))["status"] == "accepted"


def test_a_put_over_64_kib_is_413_before_anything_is_read(service, phone):
    sid = phone.session()["id"]
    response = phone.put(sid, b'{"documentsToSign": "' + b"A" * 70000 + b'"}')
    assert (response.status_code, body(response)["error"]) == (413, "payload_too_large")


MALFORMED_PUTS = [b"", b"null", b"[]", b"not json", b'{"documentsToSign": []}', b'{"documentsToSign": [1]}',
                  b'{"documentsToSign": [{"id": 2, "document": {"file": {"data": "MAA="}}}]}',
                  b'{"documentsToSign": [{"id": 1}]}', b'{"documentsToSign": [{"id": 1, "document": {"file": {}}}]}',
                  b'{"documentsToSign": [{"id": 1, "document": {"file": {"data": "***"}}}]}',
                  b'{"documentsToSign": [{"id": 1, "document": {"file": {"data": "MAA="}}}]}',
                  b'{"documentsToSign": [{"id": 1, "document": {"file": {"data": "aGVsbG8="}}}]}',
                  b'{"documentsToSign": [{"id": 1, "document": {"file": {"data": 7}}}, {"id": 1}]}']


@pytest.mark.parametrize("payload", MALFORMED_PUTS)
def test_malformed_puts_are_400_and_settle_nothing(service, phone, payload):
    sid = phone.session()["id"]
    response = phone.put(sid, payload)
    assert (response.status_code, body(response)["error"]) == (400, "malformed_request")
    assert body(phone.poll(sid))["status"] == "waiting"


puts = st.one_of(
    st.binary(max_size=600),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30),
                 lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                 max_leaves=16).map(lambda value: json.dumps(value).encode()),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", max_size=300).map(
        lambda data: json.dumps({"documentsToSign": [{"id": 1, "document": {"file": {"data": data}}}]}).encode()),
)


@given(payload=puts)
def test_arbitrary_puts_get_a_4xx_and_settle_nothing(service, phone, payload):
    sid = phone.session()["id"]
    response = phone.put(sid, payload)
    assert 400 <= response.status_code < 500 and body(response)["error"]
    assert body(phone.poll(sid))["status"] == "waiting"
    assert service.votes() == []


def test_the_qr_code_is_an_svg_drawn_by_the_server(phone):
    sid = phone.session()["id"]
    response = phone.http.get(f"/contests/{CONTEST}/mobile-signatures/{sid}/qr")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    svg = response.body.decode()
    assert re.match(r'<svg width="(\d+)" height="\1" shape-rendering="crispEdges" xmlns="http://www.w3.org/2000/svg" '
                    r'viewBox="0 0 (\d+) \2"', svg)


def test_logs_carry_decisions_but_never_the_iin_the_token_or_the_session_id(service, phone, capsys):
    sid = phone.session()["id"]
    token = phone.token(sid)
    phone.sign_as(sid)
    phone.poll(sid)
    phone.api2("AAAAAAAAAAAAAAAAAAAAAA", token)
    output = capsys.readouterr().out
    requests = [json.loads(line) for line in output.splitlines() if '"event":"request"' in line]
    assert ("egov_api2_put", "ok") in [(line["action"], line["decision"]) for line in requests]
    assert "session_not_found" in [line.get("code") for line in requests]
    for secret in (IIN, token, sid):
        assert secret not in output


def test_two_phones_racing_on_one_session_record_one_vote(racing_service):
    phone = Phone(racing_service)
    sid = phone.session()["id"]
    pki = racing_service.pki
    bodies = [phone.signed(sid, pki.sign(phone.ballot(sid), pki.voter(f"9001013009{i:02d}"))) for i in range(6)]
    token = phone.token(sid)
    statuses: list[int] = []
    barrier = threading.Barrier(len(bodies))

    def put(data: bytes) -> None:
        barrier.wait()
        statuses.append(phone.put(sid, data, token).status_code)

    threads = [threading.Thread(target=put, args=(data,)) for data in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [409] * 5
    assert len(racing_service.votes()) == 1
    assert body(phone.poll(sid))["status"] == "accepted"


session_ids = st.text(st.characters(blacklist_characters="/?#%", blacklist_categories=("Cs",)), min_size=1,
                      max_size=80).map(lambda text: quote(text, safe=""))


@given(sid=session_ids, authorization=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=120))
def test_arbitrary_session_ids_and_tokens_get_a_4xx(phone, sid, authorization):
    answers = [phone.api1(sid), phone.http.get(f"/egov/{sid}/document", headers={"Authorization": authorization}),
               phone.http.put(f"/egov/{sid}/document", body=b"{}", headers={"Authorization": authorization,
                                                                             "Content-Type": "application/json"}),
               phone.poll(sid)]
    assert all(400 <= r.status_code < 500 and body(r)["error"] for r in answers)
