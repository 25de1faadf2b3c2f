"""Shared fixtures: a PKI made by the tests, the real NCA test files, DynamoDB under moto, and the
Chalice app with its runtime wired to them."""

from __future__ import annotations

import base64
import functools
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from chalicelib.verify.certificate import Certificate
from chalicelib.verify.revocation import Revocation, RevocationCheck
from chalicelib.verify.signature import SignatureVerifier
from chalicelib.verify.trust import TrustStore
from devtools import devpki

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # the fixed "now" of tests that move no clock


def nca_pki_dir() -> Path:
    return Path(os.environ.get("VOTING_TEST_PKI_DIR", ROOT.parent / "shared" / "nca-test-pki")).resolve()


@pytest.fixture(scope="session")
def nca() -> Path:
    """The real NCA RK test files (../shared/nca-test-pki or $VOTING_TEST_PKI_DIR)."""
    folder = nca_pki_dir()
    if not (folder / "README.md").is_file():
        pytest.skip(f"NCA test PKI not found at {folder}: set VOTING_TEST_PKI_DIR to the nca-test-pki folder")
    return folder


# Every CRL of the shared folder: its three issuing CAs' (the roots' and the former production CAs'
# are not there).
NCA_CRLS = ("rsa/nca_rsa_test.crl", "gost2004/nca_gost_test.crl", "gost2015/nca_gost2022_test.crl")


def nca_revocation(nca: Path, trust: TrustStore, *, crls: bool = True) -> Revocation:
    """The NCA's real test CRLs (unless `crls=False`) refreshed into indexes, as the vote path reads
    them. A CA of `trust` that none of them covers is listed as optional, as VOTING_CRL_OPTIONAL
    does in development: the shared folder has no CRL of it to check against."""
    from chalicelib.verify.crl_refresh import held_indexes_from_crls

    held, _ = held_indexes_from_crls([(name, (nca / name).read_bytes()) for name in NCA_CRLS] if crls else [],
                                     trust, NOW)
    return Revocation(held, optional=[a.fingerprint for a in trust.anchors if held.index_for(a) is None])


@dataclass
class TestPki:
    """Root → intermediate → citizens, all valid around NOW."""

    root: devpki.Issued
    intermediate: devpki.Issued
    voters: dict[str, devpki.Issued] = field(default_factory=dict)

    def voter(self, iin: str, **options: object) -> devpki.Issued:
        key = (iin, tuple(sorted(options.items())))
        if key not in self.voters:
            options.setdefault("not_before", NOW - timedelta(days=30))
            self.voters[key] = devpki.issue_person(self.intermediate, iin, **options)
        return self.voters[key]

    def trust(self) -> TrustStore:
        return TrustStore([Certificate(self.root.der)])

    def crl_trust(self) -> TrustStore:
        """The CAs whose CRLs the refresher verifies: the root's and the intermediate's."""
        return TrustStore([Certificate(self.root.der), Certificate(self.intermediate.der)])

    def crls(self, revoked: dict[int, datetime] | None = None, **options: object) -> list[bytes]:
        """A CRL of each CA, current around NOW (the intermediate's lists `revoked`)."""
        options.setdefault("this_update", NOW - timedelta(days=1))
        options.setdefault("next_update", NOW + timedelta(days=400))
        return [devpki.issue_crl(self.root, {}, **options),
                devpki.issue_crl(self.intermediate, revoked or {}, **options)]

    def revocation(self, crls: list[bytes] | None = None, **options: object) -> Revocation:
        """Revocation as the vote path checks it: the CRLs refreshed into indexes (both CAs' by default)."""
        return revocation_from(self.crls() if crls is None else crls, self.crl_trust(), **options)

    def verifier(self, revocation: RevocationCheck | None = None) -> SignatureVerifier:
        return SignatureVerifier(self.trust(), revocation or self.revocation())

    def sign(self, content: bytes, voter: devpki.Issued, **options: object) -> bytes:
        options.setdefault("chain", (self.intermediate,))
        return devpki.sign_cms(content, voter, **options)


def revocation_from(crls: list[bytes], trust: TrustStore, *, now: datetime = NOW, **options: object) -> Revocation:
    return devpki.revocation_from_crls(crls, trust, now, **options)


@pytest.fixture(scope="session")
def pki() -> TestPki:
    root = devpki.issue_ca("TEST ROOT (RSA)", not_before=NOW - timedelta(days=365), days=3650)
    intermediate = devpki.issue_ca(
        "TEST NCA (RSA)", issuer=root, not_before=NOW - timedelta(days=300), days=1000, path_length=0
    )
    return TestPki(root, intermediate)


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


SECRET = "test-secret-that-is-long-enough-for-hmac-keys-0123456789"
PUBLIC_URL = "https://vote.example.kz/api"


def _organisation():
    from chalicelib.voting.egov_mobile import Organisation

    return Organisation("Министерство труда (тест)", "Еңбек министрлігі (тест)", "Ministry of Labour (test)",
                        "123456789012")


ORGANISATION = _organisation()


def a_challenge(contest: str, at: datetime) -> str:
    """A ballot challenge for `contest` as the service (keyed with SECRET) issued it at `at`."""
    from chalicelib.voting import challenge
    from chalicelib.voting.keys import Keys

    return challenge.issue(Keys(SECRET).challenge, challenge.VOTE, contest, at).token


def commission_key(name: str = "commission"):
    """A commission key pair (RSA-3072, made once per test process): the key file's adapter over a
    key held in memory. `commission_key("other")` is another commission's key."""
    from chalicelib.adapters.evidence_keys import KeyFileCommissionKey

    return KeyFileCommissionKey(_commission_private_key(name), f"test key {name}")


@functools.cache
def _commission_private_key(name: str):
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


def write_commission_key(path: Path, name: str = "commission", passphrase: str | None = None) -> Path:
    """The commission's private key as the key file that VOTING_EVIDENCE_KEY_FILE names."""
    from cryptography.hazmat.primitives import serialization

    protection = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    path.write_bytes(_commission_private_key(name).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, protection))
    return path


def commission_sealer(name: str = "commission"):
    from chalicelib.voting.seal import Sealer

    return Sealer(commission_key(name).public_key)


@pytest.fixture
def commission():
    """The commission's key that the test runtime seals every vote's evidence to."""
    return commission_key()


def contest_file(contest_id: str = "best-social-worker-2025", opens: datetime | None = None,
                 closes: datetime | None = None, visibility: str = "public") -> dict:
    """A small contest shaped like the ministry's: two nominations, three nominees."""
    opens = opens or NOW - timedelta(hours=1)
    closes = closes or NOW + timedelta(days=5)
    return {
        "id": contest_id,
        "title": {"kk": "Үздік әлеуметтік қызметкер", "ru": "Лучший социальный работник",
                  "en": "Best social worker"},
        "opens_at": opens.astimezone(ALMATY).isoformat(),
        "closes_at": closes.astimezone(ALMATY).isoformat(),
        "results_visibility": visibility,
        "nominations": [
            {"id": "home-care",
             "title": {"kk": "Үйде қызмет көрсету", "ru": "Надомное обслуживание", "en": "Home care"},
             "nominees": [
                 {"id": "hc-001", "name": "Айгүл Сейтқали", "region": "Алматы", "organization": "ТЦСО №1",
                  "description": {"ru": "20 лет стажа"}},
                 {"id": "hc-002", "name": "Марат Оспанов", "region": "Астана", "organization": "ЦСО «Шапагат»"},
             ]},
            {"id": "rehab",
             "title": {"kk": "Оңалту", "ru": "Реабилитация", "en": "Rehabilitation"},
             "nominees": [
                 {"id": "rh-001", "name": "Елена Ким", "region": "Караганда", "organization": "Реабилитационный центр"},
             ]},
        ],
    }


ALMATY = timezone(timedelta(hours=5))


@pytest.fixture(scope="session")
def dynalite(tmp_path_factory):
    """A real DynamoDB-compatible server (dynalite, LevelDB on disk) over HTTP for this session."""
    from devtools.stack import ROOT as STACK_ROOT
    from devtools.stack import free_port, start_dynalite, stop

    if not (STACK_ROOT / "node_modules" / ".bin" / "dynalite").exists():
        pytest.fail("dynalite is not installed: run `make test` (it runs `npm ci`)")
    port = free_port()
    process = start_dynalite(port, tmp_path_factory.mktemp("dynalite"))
    yield f"http://127.0.0.1:{port}"
    stop(process)


@pytest.fixture(autouse=True)
def fresh_runtime():
    """Each test builds (or installs) its own runtime: settings are read once per process, so a
    test that changes the environment must not inherit another test's runtime."""
    from chalicelib import runtime

    runtime.install(None)
    environ = os.environ
    yield
    runtime.install(None)
    # chalice.test swaps os.environ for a copy with the dev stage's settings during each request;
    # requests racing on threads can leave a copy behind, which would leak into the next test.
    os.environ = environ  # noqa: B003 - the process's own mapping back, not a new one


@pytest.fixture
def memory_store():
    """The store in memory: what the rules' tests run on."""
    from chalicelib.adapters.memory import MemoryStore

    return MemoryStore()


def _dynamo_store(request, monkeypatch):
    """The service's tables, under moto or on the real local server over HTTP; the environment
    names them too, so the CLI run in a test reaches the same tables."""
    from chalicelib.adapters.dynamodb import DynamoStore

    prefix = f"t{uuid.uuid4().hex[:10]}-"
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "VOTING_TABLE_PREFIX": prefix}.items():
        monkeypatch.setenv(name, value)
    if request.param == "moto":
        from moto import mock_aws

        monkeypatch.delenv("VOTING_DYNAMODB_ENDPOINT", raising=False)
        with mock_aws():
            store = DynamoStore(prefix, None, "us-east-1")
            store.create_tables()
            yield store
        return
    endpoint = request.getfixturevalue("dynalite")
    monkeypatch.setenv("VOTING_DYNAMODB_ENDPOINT", endpoint)
    store = DynamoStore(prefix, endpoint, "us-east-1")
    store.create_tables()
    yield store
    store.delete_tables()


DYNAMO_BACKENDS = ["moto", pytest.param("dynalite", marks=pytest.mark.integration)]


@pytest.fixture(params=DYNAMO_BACKENDS)
def dynamo_store(request, monkeypatch):
    """DynamoDB: under moto, and on dynalite over HTTP."""
    yield from _dynamo_store(request, monkeypatch)


@pytest.fixture(params=["memory", pytest.param("dynalite", marks=pytest.mark.integration)])
def atomic_store(request, monkeypatch):
    """The stores whose conditional writes are atomic across threads, as DynamoDB's are: memory
    (one lock) and dynalite. moto takes no lock, so two threads' conditional writes can both pass
    under it; a test of a race runs here."""
    if request.param == "memory":
        from chalicelib.adapters.memory import MemoryStore

        yield MemoryStore()
        return
    yield from _dynamo_store(request, monkeypatch)


@pytest.fixture(params=["memory", *DYNAMO_BACKENDS])
def any_store(request, monkeypatch):
    """Every implementation of the storage ports: the contract suite runs on each."""
    if request.param == "memory":
        from chalicelib.adapters.memory import MemoryStore

        yield MemoryStore()
        return
    yield from _dynamo_store(request, monkeypatch)


def identity_of(voter: devpki.Issued) -> list[bytes]:
    """Every way a voter's identity could be read in stored bytes: the IIN, the names (UTF-8) and
    the certificate's serial (raw, hex, decimal)."""
    from cryptography.x509.oid import NameOID

    subject = voter.certificate.subject
    names = [a.value for oid in (NameOID.COMMON_NAME, NameOID.SURNAME, NameOID.GIVEN_NAME)
             for a in subject.get_attributes_for_oid(oid)]
    serial = voter.certificate.serial_number
    iin = subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value.removeprefix("IIN")
    raw_serial = serial.to_bytes((serial.bit_length() + 7) // 8, "big")
    return [iin.encode(), *(str(n).encode() for n in names), raw_serial, f"{serial:x}".encode(),
            f"{serial:X}".encode(), str(serial).encode()]


def readable_identity(data: bytes, voter: devpki.Issued) -> list[bytes]:
    """What of the voter's identity can be read in `data` (an empty list: nothing)."""
    return [mark for mark in identity_of(voter) if mark in data]


def stored_votes(store, contest: str = "best-social-worker-2025") -> list:
    """Every vote the store holds for the contest (memory or DynamoDB)."""
    return list(store.votes_of(contest))


@dataclass
class Service:
    """The app wired to a store, the test PKI and a hand-moved clock."""

    http: object
    clock: Clock
    pki: TestPki
    runtime: object
    store: object

    def vote_body(self, voter: devpki.Issued, nominee: str = "hc-001", contest: str = "best-social-worker-2025",
                  challenge: str | None = None, **sign: object) -> dict:
        from chalicelib.voting.ballot import ballot_bytes

        if challenge is None:
            challenge = self.challenge(contest)
        sign.setdefault("signing_time", self.clock())  # the citizen's clock agrees with the service's
        cms = self.pki.sign(ballot_bytes(contest, nominee, challenge), voter, **sign)
        return {"cms": base64.b64encode(cms).decode()}

    def challenge(self, contest: str = "best-social-worker-2025") -> str:
        response = self.http.post(f"/contests/{contest}/challenges")
        assert response.status_code == 201, response.body
        return json.loads(response.body)["challenge"]

    def post_vote(self, body: dict | bytes, contest: str = "best-social-worker-2025", **headers: str):
        data = body if isinstance(body, bytes) else json.dumps(body)
        return self.http.post(f"/contests/{contest}/votes", body=data,
                              headers={"Content-Type": "application/json", **headers})

    def votes(self, contest: str = "best-social-worker-2025") -> list:
        return stored_votes(self.store, contest)


def make_runtime(pki: TestPki, clock: Clock, store, revocation: RevocationCheck | None = None, **settings: object):
    from chalicelib.runtime import Runtime
    from chalicelib.settings import Settings
    from chalicelib.voting.keys import Keys

    settings.setdefault("ncalayer_url", "ws://127.0.0.1:13579")  # the dev stage's stand-in
    settings.setdefault("public_url", PUBLIC_URL)  # eGov mobile's API 1/API 2 base
    settings.setdefault("organisation", ORGANISATION)
    settings.setdefault("contest_cache_seconds", 0)  # every request reads the store: tests see each change
    configured = Settings(table_prefix="test-", secret=SECRET, **settings)
    return Runtime(configured, store=store, clock=clock, keys=Keys(SECRET), verifier=pki.verifier(revocation),
                   sealer=commission_sealer(), commission_key=commission_key())


def _serve(store, pki):
    from chalice.test import Client

    import app as application
    from chalicelib import runtime
    from chalicelib.voting.contest import parse_contest

    clock = Clock()
    installed = make_runtime(pki, clock, store)
    runtime.install(installed)
    installed.commission.save_contest(parse_contest(contest_file()))
    with Client(application.app, project_dir=str(ROOT)) as client:
        yield Service(client.http, clock, pki, installed, store)
    runtime.install(None)


@pytest.fixture
def service(memory_store, pki):
    """The app over HTTP (chalice.test) on the store in memory."""
    yield from _serve(memory_store, pki)


@pytest.fixture
def dynamo_service(dynamo_store, pki):
    """The app over HTTP (chalice.test) on DynamoDB (moto, and dynalite)."""
    yield from _serve(dynamo_store, pki)


@pytest.fixture
def racing_service(atomic_store, pki):
    """The app over HTTP (chalice.test) on a store that serialises conditional writes (memory, dynalite)."""
    yield from _serve(atomic_store, pki)


def _hypothesis_profiles() -> None:
    from hypothesis import HealthCheck, settings

    quiet = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
    # `make test` draws the same examples on every run: a run of main fails only for a change, never
    # for a new draw. `make fuzz` explores with fresh draws; what it finds becomes a fixed test.
    settings.register_profile("default", max_examples=60, deadline=None, suppress_health_check=quiet,
                              derandomize=True)
    # `make fuzz`: three fuzz tests × 3,400 examples ≥ 10,000 cases.
    settings.register_profile("fuzz", max_examples=3400, deadline=None, suppress_health_check=quiet)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


_hypothesis_profiles()
