"""Revocation through the vote route, wired as a stage is: the trust folder, the CRL folder
refreshed into the index folder (`Runtime.refresh_crls`, what `make run` and the schedule do), and
the API reading the indexes. Every cause of a missing CRL fails closed with 503 and a metric;
nothing is stored."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from chalicelib.verify.certificate import Certificate
from chalicelib.verify.revocation_index import index_name
from devtools import devpki
from tests.conftest import NOW, ROOT, SECRET, Clock, Service, commission_sealer, contest_file


@dataclass
class Stage:
    service: Service
    index_dir: Path


def ca_crl(issuer: devpki.Issued, revoked: dict | None = None) -> bytes:
    return devpki.issue_crl(issuer, revoked or {}, this_update=NOW - timedelta(hours=1),
                            next_update=NOW + timedelta(days=7))


@pytest.fixture
def stage(tmp_path, memory_store, pki) -> Iterator[Callable[..., Stage]]:
    """stage(trusted=[...], crls=[...], optional=[...]) → the app over a stage with those folders."""
    from chalice.test import Client

    import app as application
    from chalicelib import runtime
    from chalicelib.runtime import Runtime
    from chalicelib.settings import Settings
    from chalicelib.voting.contest import parse_contest
    from chalicelib.voting.keys import Keys

    clients = []

    def start(trusted: list[devpki.Issued], crls: list[bytes], optional: list[devpki.Issued] = ()) -> Stage:
        folder = tmp_path / f"stage-{len(clients)}"
        for name in ("trust", "crl"):
            (folder / name).mkdir(parents=True)
        for n, ca in enumerate(trusted):
            (folder / "trust" / f"{n}.pem").write_bytes(ca.pem)
        for n, crl in enumerate(crls):
            (folder / "crl" / f"{n}.crl").write_bytes(crl)
        settings = Settings(table_prefix="test-", secret=SECRET, contest_cache_seconds=0,
                            trust_dir=str(folder / "trust"), crl_dir=str(folder / "crl"),
                            crl_index_dir=str(folder / "crl-index"),
                            crl_optional=frozenset(Certificate(ca.der).fingerprint for ca in optional))
        clock = Clock()
        wired = Runtime(settings, store=memory_store, clock=clock, keys=Keys(SECRET), sealer=commission_sealer())
        wired.refresh_crls()
        runtime.install(wired)
        if memory_store.get_contest("best-social-worker-2025") is None:
            wired.commission.save_contest(parse_contest(contest_file()))
        client = Client(application.app, project_dir=str(ROOT))
        clients.append(client)
        return Stage(Service(client.__enter__().http, clock, pki, wired, memory_store), folder / "crl-index")

    yield start
    for client in clients:
        client.__exit__(None, None, None)
    runtime.install(None)


def vote(service: Service, voter, chain) -> tuple[int, str]:
    response = service.post_vote(service.vote_body(voter, chain=chain))
    return response.status_code, json.loads(response.body).get("error", "")


def metrics(capsys) -> set[str]:
    """The names of the metrics emitted (CloudWatch EMF lines) since the last read."""
    from tests.routes.test_telemetry import counted

    return set(counted(capsys.readouterr().out))


def test_a_vote_under_a_ca_with_its_crl_is_accepted_and_a_revoked_one_refused(stage, pki):
    revoked = pki.voter("900101300501")
    service = stage([pki.root, pki.intermediate],
                    [ca_crl(pki.intermediate, {revoked.certificate.serial_number: NOW - timedelta(days=1)})]).service
    assert vote(service, pki.voter("900101300502"), (pki.intermediate,))[0] == 201
    assert vote(service, revoked, (pki.intermediate,)) == (422, "certificate_revoked")


def test_no_crl_held_for_the_signers_ca_is_503_with_a_metric(stage, pki, capsys):
    service = stage([pki.root, pki.intermediate], []).service
    assert vote(service, pki.voter("900101300503"), (pki.intermediate,)) == (503, "unavailable")
    assert "RevocationUnavailable" in metrics(capsys) and service.votes() == []


def test_a_refused_crl_is_no_crl_503(stage, pki, capsys):
    forged = devpki.issue_crl(devpki.Issued(pki.intermediate.certificate, devpki.new_key("rsa")), {})
    corrupt = ca_crl(pki.intermediate)[:-30]
    service = stage([pki.root, pki.intermediate], [forged, corrupt]).service
    assert vote(service, pki.voter("900101300504"), (pki.intermediate,)) == (503, "unavailable")
    assert "RevocationUnavailable" in metrics(capsys) and service.votes() == []


def test_a_crl_of_a_ca_without_crl_sign_is_no_crl_503(stage, pki, capsys):
    no_crl_sign = devpki.issue_ca("NCA WITHOUT cRLSign", issuer=pki.root, not_before=NOW - timedelta(days=30),
                                  path_length=0, crl_sign=False)
    voter = devpki.issue_person(no_crl_sign, "900101300505", not_before=NOW - timedelta(days=1))
    service = stage([pki.root, no_crl_sign], [ca_crl(no_crl_sign)]).service
    assert vote(service, voter, (no_crl_sign,)) == (503, "unavailable")
    assert "RevocationUnavailable" in metrics(capsys) and service.votes() == []


def test_a_crl_whose_ca_is_not_in_the_trust_folder_is_no_crl_503(stage, pki, capsys):
    # The intermediate comes with the CMS; only the root is trusted, so its CRL cannot be verified.
    service = stage([pki.root], [ca_crl(pki.root), ca_crl(pki.intermediate)]).service
    assert vote(service, pki.voter("900101300506"), (pki.intermediate,)) == (503, "unavailable")
    assert "RevocationUnavailable" in metrics(capsys) and service.votes() == []


def test_a_ca_in_voting_crl_optional_votes_without_a_crl(stage, pki):
    service = stage([pki.root, pki.intermediate], [], optional=[pki.intermediate]).service
    assert vote(service, pki.voter("900101300507"), (pki.intermediate,))[0] == 201


def test_a_revoked_intermediate_refuses_its_signers(stage, pki):
    root_crl = ca_crl(pki.root, {pki.intermediate.certificate.serial_number: NOW - timedelta(days=1)})
    service = stage([pki.root], [root_crl]).service  # the path runs voter → intermediate → root
    assert vote(service, pki.voter("900101300508"), (pki.intermediate,)) == (422, "certificate_revoked")


def test_a_tampered_index_is_refused_like_a_forged_crl(stage, pki, capsys):
    made = stage([pki.root, pki.intermediate], [ca_crl(pki.intermediate)])
    path = made.index_dir / index_name(Certificate(pki.intermediate.der).fingerprint)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert vote(made.service, pki.voter("900101300509"), (pki.intermediate,)) == (503, "unavailable")
    assert {"CrlIndexRefused", "RevocationUnavailable"} <= metrics(capsys) and made.service.votes() == []


@pytest.mark.slow
def test_a_million_entry_crl_through_the_vote_route(stage, pki):
    revoked, citizen = pki.voter("900101300510"), pki.voter("900101300511")
    when = [NOW - timedelta(days=d) for d in range(1, 30)]
    listed = {revoked.certificate.serial_number: NOW - timedelta(hours=3)}
    listed.update({(n * 0x9E3779B97F4A7C15 ^ 0x5DEECE66D) << 64 | n: when[n % len(when)] for n in range(999_999)})
    made = stage([pki.root, pki.intermediate], [ca_crl(pki.intermediate, listed)])
    service = made.service
    [written] = list(made.index_dir.iterdir())
    assert written.stat().st_size > 1_000_000 * 29  # every serial in full, 29 bytes a record
    assert vote(service, revoked, (pki.intermediate,)) == (422, "certificate_revoked")
    assert vote(service, citizen, (pki.intermediate,))[0] == 201


def stale_stage(stage, pki):
    crl = devpki.issue_crl(pki.intermediate, {}, this_update=NOW - timedelta(hours=1),
                           next_update=NOW + timedelta(hours=1))
    return stage([pki.root, pki.intermediate], [crl]).service


def test_an_index_past_its_next_update_within_the_tolerance_votes_and_counts_crl_stale(stage, pki, capsys):
    service = stale_stage(stage, pki)
    service.clock.advance(hours=2)  # an hour past nextUpdate; VOTING_CRL_TOLERANCE_HOURS is 24
    assert vote(service, pki.voter("900101300512"), (pki.intermediate,))[0] == 201
    assert "CrlStale" in metrics(capsys)


def test_an_index_stale_beyond_the_tolerance_is_503_counting_crl_stale_beyond_tolerance(stage, pki, capsys):
    service = stale_stage(stage, pki)
    service.clock.advance(hours=26)
    assert vote(service, pki.voter("900101300513"), (pki.intermediate,)) == (503, "unavailable")
    assert "CrlStaleBeyondTolerance" in metrics(capsys) and service.votes() == []
