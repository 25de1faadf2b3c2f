"""CRLs: verified with the issuer's key, newest per issuer, delta CRLs, the staleness policy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.verify.certificate import Certificate
from chalicelib.verify.failures import VerificationError
from chalicelib.verify.revocation import CrlError, RefreshingRevocation, RevocationStore, read_crl
from chalicelib.verify.trust import TrustStore
from devtools import devpki
from tests.conftest import NOW


@pytest.fixture
def trust(pki) -> TrustStore:
    return TrustStore([Certificate(pki.root.der), Certificate(pki.intermediate.der)])


def crl(pki, revoked: dict, hours_ago: float = 1, valid_days: float = 7, **extensions) -> bytes:
    this_update = NOW - timedelta(hours=hours_ago)
    return devpki.issue_crl(pki.intermediate, revoked, this_update=this_update,
                            next_update=this_update + timedelta(days=valid_days), **extensions)


def path_of(pki, voter):
    return [Certificate(voter.der), Certificate(pki.intermediate.der), Certificate(pki.root.der)]


def code(store, path, at=NOW) -> str:
    with pytest.raises(VerificationError) as caught:
        store.check_path(path, at)
    return caught.value.code


def test_crl_signed_by_its_issuer_is_read(pki, trust):
    voter = pki.voter("900101300201")
    read = read_crl(crl(pki, {voter.certificate.serial_number: NOW - timedelta(days=1)}), trust)
    assert voter.certificate.serial_number in read.revoked


def test_crl_signed_by_a_rogue_key_with_the_issuers_name_is_refused(pki, trust):
    impostor = devpki.Issued(pki.intermediate.certificate, devpki.new_key("rsa"))
    with pytest.raises(CrlError):
        read_crl(devpki.issue_crl(impostor, {}), trust)


def test_bytes_that_are_not_a_crl_are_refused(trust):
    with pytest.raises(CrlError):
        read_crl(b"\x30\x82\xff\xff garbage", trust)


def test_revoked_certificate_is_refused(pki, trust):
    voter = pki.voter("900101300202")
    store = RevocationStore([read_crl(crl(pki, {voter.certificate.serial_number: NOW - timedelta(days=1)}), trust)])
    assert code(store, path_of(pki, voter)) == "certificate_revoked"


def test_vote_before_the_revocation_time_stands(pki, trust):
    voter = pki.voter("900101300203")
    store = RevocationStore([read_crl(crl(pki, {voter.certificate.serial_number: NOW + timedelta(hours=1)},
                                          hours_ago=-2), trust)])
    store.check_path(path_of(pki, voter), NOW)


def test_newest_crl_of_an_issuer_counts(pki, trust):
    voter = pki.voter("900101300204")
    older = read_crl(crl(pki, {voter.certificate.serial_number: NOW - timedelta(days=1)}, hours_ago=5), trust)
    newer = read_crl(crl(pki, {}, hours_ago=1), trust)  # e.g. a certificate on hold released
    assert RevocationStore([newer, older]).list_for(Certificate(pki.intermediate.der)).this_update == newer.this_update


def test_delta_crl_adds_revocations_to_its_base(pki, trust):
    voter = pki.voter("900101300205")
    base = read_crl(crl(pki, {}, hours_ago=5, number=10), trust)
    delta = read_crl(crl(pki, {voter.certificate.serial_number: NOW - timedelta(hours=2)}, hours_ago=1,
                         number=11, delta_base=10), trust)
    assert code(RevocationStore([base, delta]), path_of(pki, voter)) == "certificate_revoked"


def test_delta_for_a_newer_base_is_not_applied_to_an_older_one(pki, trust):
    voter = pki.voter("900101300206")
    base = read_crl(crl(pki, {}, hours_ago=5, number=10), trust)
    delta = read_crl(crl(pki, {voter.certificate.serial_number: NOW - timedelta(hours=2)}, hours_ago=1,
                         number=13, delta_base=12), trust)
    RevocationStore([base, delta]).check_path(path_of(pki, voter), NOW)


def test_stale_crl_within_tolerance_is_used_and_reported(pki, trust):
    voter = pki.voter("900101300207")
    stale = read_crl(crl(pki, {}, hours_ago=30, valid_days=1), trust)  # nextUpdate 6 h ago
    told: list[tuple[bytes, bool]] = []
    store = RevocationStore([stale], timedelta(hours=24), lambda issuer, beyond: told.append((issuer.der, beyond)))
    store.check_path(path_of(pki, voter), NOW)
    assert told == [(pki.intermediate.der, False)]


def test_crl_stale_beyond_tolerance_makes_the_issuer_unavailable(pki, trust):
    voter = pki.voter("900101300208")
    stale = read_crl(crl(pki, {}, hours_ago=60, valid_days=1), trust)  # nextUpdate 36 h ago
    store = RevocationStore([stale], tolerance=timedelta(hours=24))
    assert code(store, path_of(pki, voter)) == "revocation_unavailable"


def test_refreshing_revocation_reloads_only_after_its_max_age(pki, trust):
    voter = pki.voter("900101300209")
    served = [[("nca.crl", crl(pki, {}))]]
    clock = [NOW]
    refreshing = RefreshingRevocation(lambda: served[0], trust, max_age=timedelta(minutes=5), clock=lambda: clock[0])
    refreshing.check_path(path_of(pki, voter), NOW)
    served[0] = [("nca.crl", crl(pki, {voter.certificate.serial_number: NOW - timedelta(hours=1)}, hours_ago=0.5))]
    clock[0] += timedelta(minutes=4)
    refreshing.check_path(path_of(pki, voter), NOW)
    clock[0] += timedelta(minutes=1)
    assert code(refreshing, path_of(pki, voter)) == "certificate_revoked"


def test_refreshing_revocation_keeps_its_crls_when_loading_fails(pki, trust):
    voter = pki.voter("900101300210")
    clock = [NOW]
    good = [("nca.crl", crl(pki, {voter.certificate.serial_number: NOW - timedelta(hours=1)}))]

    def load():
        if clock[0] > NOW:
            raise OSError("S3 unreachable")
        return good

    refreshing = RefreshingRevocation(load, trust, max_age=timedelta(minutes=5), clock=lambda: clock[0])
    assert code(refreshing, path_of(pki, voter)) == "certificate_revoked"
    clock[0] += timedelta(minutes=10)
    assert code(refreshing, path_of(pki, voter)) == "certificate_revoked"


def test_refreshing_revocation_ignores_a_tampered_crl(pki, trust):
    voter = pki.voter("900101300211")
    forged = devpki.issue_crl(devpki.Issued(pki.intermediate.certificate, devpki.new_key("rsa")), {})
    genuine = crl(pki, {voter.certificate.serial_number: NOW - timedelta(hours=1)})
    refreshing = RefreshingRevocation(lambda: [("genuine.crl", genuine), ("forged.crl", forged)], trust)
    assert code(refreshing, path_of(pki, voter)) == "certificate_revoked"
