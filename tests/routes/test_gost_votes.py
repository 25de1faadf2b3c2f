"""Votes signed with the NCA's real GOST test keys, through the app (chalice.test.Client, the store
in memory), with a verifier that trusts the real NCA test chains.

Every NCA test leaf has expired, so the app's clock is set by hand inside the validity of the
certificates (and CRLs) involved, and the contest's window covers all those times.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from chalicelib.verify.certificate import Certificate
from chalicelib.verify.signature import SignatureVerifier
from chalicelib.verify.trust import TrustStore
from chalicelib.voting.ballot import ballot_bytes
from devtools import devpki, gost_keys
from tests.conftest import (
    ROOT,
    SECRET,
    Clock,
    commission_sealer,
    contest_file,
    nca_pki_dir,
    nca_revocation,
    stored_votes,
)

CONTEST = "best-social-worker-2025"

OPENS = datetime(2018, 1, 1, tzinfo=UTC)
CLOSES = datetime(2025, 1, 1, tzinfo=UTC)
KALKAN_DAY = datetime(2022, 9, 28, tzinfo=UTC)  # gost2015 keys of 2022 and nca_gost2022_test.crl current
IN_2022_06 = datetime(2022, 6, 1, tzinfo=UTC)  # gost2004 CEO key and nca_gost_test.crl (03-29..09-25) current
IN_2019 = datetime(2019, 1, 1, tzinfo=UTC)  # the production-2015 keys of 2018 are valid
IN_2021 = datetime(2021, 6, 1, tzinfo=UTC)  # rsa/individual_sign_valid_2021 is valid
IN_2023_12 = datetime(2023, 12, 1, tzinfo=UTC)  # gost2015/individual_2023 is valid

TRUSTED = ("gost2015/nca_gost2022_test.cer", "gost2004/root_gost_test.pem", "gost2004/nca_gost_test.pem",
           "rsa/root_rsa_test.pem", "rsa/nca_rsa_test.pem", "production-2015/root_rsa.cer",
           "production-2015/nca_rsa.cer", "production-2015/root_gost.cer", "production-2015/nca_gost.cer")
PASSWORDS = {"gost2015/individual_valid_2022.p12": "Aa123456", "gost2015/ceo_revoked.p12": "Aa123456"}


@cache
def gost_key(name: str) -> gost_keys.GostKeyFile:
    return gost_keys.load_pkcs12((nca_pki_dir() / name).read_bytes(), PASSWORDS.get(name, "Qwerty12"))


def rsa_key(name: str) -> devpki.Issued:
    key, certificate, _ = pkcs12.load_key_and_certificates((nca_pki_dir() / name).read_bytes(), b"Qwerty12")
    return devpki.Issued(certificate, key)


@dataclass
class GostApp:
    """The app wired to storage, a verifier trusting the NCA test chains and a hand-moved clock."""

    http: object
    clock: Clock
    storage: object

    def challenge(self) -> str:
        response = self.http.post(f"/contests/{CONTEST}/challenges")
        assert response.status_code == 201, response.body
        return json.loads(response.body)["challenge"]

    def ballot(self, nominee: str) -> bytes:
        return ballot_bytes(CONTEST, nominee, self.challenge())

    def vote_gost(self, name: str, nominee: str = "hc-001"):
        opened = gost_key(name)
        cms = gost_keys.sign_cms_gost(self.ballot(nominee), opened.certificate_der, opened.key,
                                      signing_time=self.clock.now)
        return self.post(cms)

    def vote_rsa(self, name: str, nominee: str = "hc-001"):
        return self.post(devpki.sign_cms(self.ballot(nominee), rsa_key(name), signing_time=self.clock.now))

    def post(self, cms: bytes):
        return self.http.post(f"/contests/{CONTEST}/votes", body=json.dumps({"cms": base64.b64encode(cms).decode()}),
                              headers={"Content-Type": "application/json"})

    def stored(self) -> list:
        return stored_votes(self.storage, CONTEST)


def nca_verifier(nca: Path, with_crls: bool) -> SignatureVerifier:
    """With the NCA's real test CRLs (the CAs none covers optional), or with every CA optional
    (`with_crls=False`: the keys of 2023 and 2018 are valid only after or before those CRLs)."""
    trust = TrustStore([c for name in TRUSTED for c in Certificate.from_pem_or_der((nca / name).read_bytes())])
    return SignatureVerifier(trust, nca_revocation(nca, trust, crls=with_crls))


@pytest.fixture
def start_app(nca, memory_store) -> Iterator:
    """start_app(now, with_crls=...) → the app, its clock at now, a contest open 2018..2025."""
    from chalice.test import Client

    import app as application
    from chalicelib import runtime
    from chalicelib.runtime import Runtime
    from chalicelib.settings import Settings
    from chalicelib.voting.contest import parse_contest
    from chalicelib.voting.keys import Keys

    clients = []

    def start(now: datetime, *, with_crls: bool = False) -> GostApp:
        clock = Clock(now)
        verifier = nca_verifier(nca, with_crls)
        settings = Settings(table_prefix="test-", secret=SECRET, contest_cache_seconds=0)
        wired = Runtime(settings, store=memory_store, clock=clock, keys=Keys(SECRET), verifier=verifier,
                        sealer=commission_sealer())
        runtime.install(wired)
        # The real keys' validity spans years and a test may stand on two of them: the window is
        # set on the parsed contest, past the 366 days a contest file may ask for.
        contest = replace(parse_contest(contest_file(CONTEST)), opens_at=OPENS, closes_at=CLOSES)
        memory_store.create_contest(contest, OPENS - timedelta(days=1))
        client = Client(application.app, project_dir=str(ROOT))
        clients.append(client)
        return GostApp(client.__enter__().http, clock, memory_store)

    yield start
    for client in clients:
        client.__exit__(None, None, None)
    runtime.install(None)


def outcome(response) -> tuple[int, str]:
    return response.status_code, json.loads(response.body).get("error", "")


def test_citizens_gost2015_vote_is_accepted_and_its_receipt_resolves(start_app):
    app = start_app(KALKAN_DAY, with_crls=True)
    response = app.vote_gost("gost2015/individual_valid_2022.p12", "rh-001")
    assert response.status_code == 201, response.body
    receipt = json.loads(response.body)["receipt"]
    check = app.http.get(f"/receipts/{receipt}")
    assert (check.status_code, json.loads(check.body)["nominee"]) == (200, "rh-001")
    [stored] = app.stored()
    assert (stored.nominee, stored.algorithm) == ("rh-001", "GOST 34.10-2015/512")


def test_gost2004_key_passes_signature_and_path_and_is_refused_only_as_a_legal_entity(start_app):
    """No GOST 34.310-2004 key of an individual exists in the test PKI: individual_gost_2018.p12
    is, despite its name, a CEO's key (O=АО "ТЕСТ", OU=BIN123456789021, EKU 1.2.398.3.3.4.1.2.1).
    The app checks the profile after the signature, the path to the production-2015 GOST root and
    validity, so not_an_individual (and not invalid_signature or untrusted_certificate) shows a
    34.310-2004 vote gets through everything a citizen's would."""
    app = start_app(IN_2019)
    assert outcome(app.vote_gost("production-2015/individual_gost_2018.p12")) == (403, "not_an_individual")
    assert app.stored() == []


@pytest.mark.parametrize(("name", "now"), [("gost2015/ceo_revoked.p12", KALKAN_DAY),
                                           ("gost2004/ceo_sign_revoked.p12", IN_2022_06)])
def test_legal_entitys_gost_key_is_refused_as_not_an_individual(start_app, name, now):
    app = start_app(now)
    assert outcome(app.vote_gost(name)) == (403, "not_an_individual")
    assert app.stored() == []


@pytest.mark.parametrize(("name", "now"), [("gost2015/ceo_revoked.p12", KALKAN_DAY),
                                           ("gost2004/ceo_sign_revoked.p12", IN_2022_06)])
def test_revoked_gost_key_is_refused_with_the_nca_crl(start_app, name, now):
    app = start_app(now, with_crls=True)
    assert outcome(app.vote_gost(name)) == (422, "certificate_revoked")
    assert app.stored() == []


def test_rsa_key_of_a_person_who_voted_with_gost_is_refused_as_already_voted(start_app):
    """IIN 123456789011 votes with its GOST-2015 key (valid 2023-11-09..2024-11-08), then with its
    RSA key (valid 2021-01-18..2022-01-18) for another nominee.  No RSA key of this IIN is valid
    when a GOST individual key of it is (the only 2018 GOST key is a legal entity's), so the
    clock is set back between the two votes; the identity is the IIN, whatever the time."""
    app = start_app(IN_2023_12)
    first = app.vote_gost("gost2015/individual_2023.p12", "hc-001")
    assert first.status_code == 201, first.body
    app.clock.now = IN_2021
    assert outcome(app.vote_rsa("rsa/individual_sign_valid_2021.p12", "hc-002")) == (409, "already_voted")
    assert [v.nominee for v in app.stored()] == ["hc-001"]


def test_rsa_retry_of_a_gost_vote_for_the_same_nominee_gets_200_and_the_same_receipt(start_app):
    app = start_app(IN_2023_12)
    first = app.vote_gost("gost2015/individual_2023.p12", "hc-001")
    app.clock.now = IN_2021
    again = app.vote_rsa("rsa/individual_sign_valid_2021.p12", "hc-001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert json.loads(again.body)["receipt"] == json.loads(first.body)["receipt"]
    assert len(app.stored()) == 1
