"""Revocation on the vote path: fail closed, the staleness rule, base and delta, a revoked CA, and
the indexes re-read only when their ETag changed (over the real index folder)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from chalicelib.adapters.pki_folders import IndexFolder
from chalicelib.verify.certificate import Certificate
from chalicelib.verify.crl_refresh import refresh
from chalicelib.verify.failures import VerificationError
from chalicelib.verify.revocation import NO_CRL, STALE, STALE_BEYOND_TOLERANCE, RefreshingIndexes, Revocation
from chalicelib.verify.revocation_index import index_name
from devtools import devpki
from devtools.devpki import REASONS
from tests.conftest import NOW, Clock

KEY = b"index key of the tests, 32 bytes"


def crl(pki, revoked: dict, hours_ago: float = 1, valid_days: float = 7, issuer=None, **options) -> bytes:
    this_update = NOW - timedelta(hours=hours_ago)
    return devpki.issue_crl(issuer or pki.intermediate, revoked, this_update=this_update,
                            next_update=this_update + timedelta(days=valid_days), **options)


def with_root_crl(pki, *crls: bytes) -> list[bytes]:
    return [crl(pki, {}, issuer=pki.root), *crls]


def path_of(pki, voter) -> list[Certificate]:
    return [Certificate(voter.der), Certificate(pki.intermediate.der), Certificate(pki.root.der)]


def code(check, path, at=NOW) -> str:
    with pytest.raises(VerificationError) as caught:
        check.check_path(path, at)
    return caught.value.code


def revoked(voter, when=NOW - timedelta(days=1)) -> dict:
    return {voter.certificate.serial_number: when}


def test_a_revoked_certificate_is_refused(pki):
    voter = pki.voter("900101300201")
    assert code(pki.revocation(with_root_crl(pki, crl(pki, revoked(voter)))), path_of(pki, voter)) == \
        "certificate_revoked"


def test_a_certificate_revoked_after_the_vote_stands(pki):
    voter = pki.voter("900101300202")
    check = pki.revocation(with_root_crl(pki, crl(pki, revoked(voter, NOW + timedelta(hours=1)), hours_ago=-2)))
    check.check_path(path_of(pki, voter), NOW)


def test_a_revoked_intermediate_refuses_every_signer_under_it(pki):
    voter = pki.voter("900101300203")
    root_crl = crl(pki, {pki.intermediate.certificate.serial_number: NOW - timedelta(days=2)}, issuer=pki.root)
    check = pki.revocation([root_crl, crl(pki, {})])
    with pytest.raises(VerificationError) as caught:
        check.check_path(path_of(pki, voter), NOW)
    assert (caught.value.code, caught.value.detail) == ("certificate_revoked", "a CA of the path")


def test_no_crl_of_the_issuer_fails_closed_and_says_so(pki):
    told: list[tuple[str, bytes]] = []
    check = pki.revocation(with_root_crl(pki), alarm=lambda kind, issuer: told.append((kind, issuer.der)))
    assert code(check, path_of(pki, pki.voter("900101300204"))) == "revocation_unavailable"
    assert told == [(NO_CRL, pki.intermediate.der)]


def test_a_ca_listed_as_optional_may_do_without_a_crl(pki):
    check = pki.revocation(with_root_crl(pki), optional=[Certificate(pki.intermediate.der).fingerprint])
    check.check_path(path_of(pki, pki.voter("900101300205")), NOW)


def test_an_optional_ca_with_a_crl_still_refuses_what_it_revoked(pki):
    voter = pki.voter("900101300206")
    check = pki.revocation(with_root_crl(pki, crl(pki, revoked(voter))),
                           optional=[Certificate(pki.intermediate.der).fingerprint])
    assert code(check, path_of(pki, voter)) == "certificate_revoked"


def test_a_stale_crl_within_the_tolerance_is_used_and_reported(pki):
    told: list[str] = []
    stale = crl(pki, {}, hours_ago=30, valid_days=1)  # nextUpdate 6 h ago
    check = pki.revocation(with_root_crl(pki, stale), tolerance=timedelta(hours=24),
                           alarm=lambda kind, issuer: told.append(kind))
    check.check_path(path_of(pki, pki.voter("900101300207")), NOW)
    assert told == [STALE]


def test_a_crl_stale_beyond_the_tolerance_fails_closed(pki):
    told: list[str] = []
    stale = crl(pki, {}, hours_ago=60, valid_days=1)  # nextUpdate 36 h ago
    check = pki.revocation(with_root_crl(pki, stale), tolerance=timedelta(hours=24),
                           alarm=lambda kind, issuer: told.append(kind))
    assert code(check, path_of(pki, pki.voter("900101300208"))) == "revocation_unavailable"
    assert told == [STALE_BEYOND_TOLERANCE]


def test_a_certificate_a_stale_crl_lists_is_still_revoked(pki):
    voter = pki.voter("900101300209")
    stale = crl(pki, revoked(voter, NOW - timedelta(days=5)), hours_ago=60, valid_days=1)
    assert code(pki.revocation(with_root_crl(pki, stale)), path_of(pki, voter)) == "certificate_revoked"


def test_a_delta_crl_adds_revocations_to_its_base(pki):
    voter = pki.voter("900101300210")
    base = crl(pki, {}, hours_ago=5, number=10)
    delta = crl(pki, revoked(voter, NOW - timedelta(hours=2)), number=11, delta_base=10)
    assert code(pki.revocation(with_root_crl(pki, base, delta)), path_of(pki, voter)) == "certificate_revoked"


def test_a_delta_crl_releases_a_certificate_its_base_held(pki):
    voter = pki.voter("900101300211")
    base = crl(pki, revoked(voter), hours_ago=5, number=10, reasons={voter.certificate.serial_number:
                                                                   REASONS["certificateHold"]})
    assert code(pki.revocation(with_root_crl(pki, base)), path_of(pki, voter)) == "certificate_revoked"
    delta = crl(pki, revoked(voter), number=11, delta_base=10,
                reasons={voter.certificate.serial_number: REASONS["removeFromCRL"]})
    pki.revocation(with_root_crl(pki, base, delta)).check_path(path_of(pki, voter), NOW)


def test_a_delta_for_a_newer_base_is_not_applied_to_an_older_one(pki):
    voter = pki.voter("900101300212")
    base = crl(pki, {}, hours_ago=5, number=10)
    delta = crl(pki, revoked(voter, NOW - timedelta(hours=2)), number=13, delta_base=12)
    pki.revocation(with_root_crl(pki, base, delta)).check_path(path_of(pki, voter), NOW)


def test_a_delta_alone_is_no_crl(pki):
    delta = crl(pki, {}, number=13, delta_base=12)
    assert code(pki.revocation(with_root_crl(pki, delta)), path_of(pki, pki.voter("900101300213"))) == \
        "revocation_unavailable"


def test_the_newest_base_crl_counts(pki):
    voter = pki.voter("900101300214")
    older = crl(pki, revoked(voter), hours_ago=5, number=1)
    newer = crl(pki, {}, hours_ago=1, number=2)  # e.g. a certificate on hold released
    pki.revocation(with_root_crl(pki, newer, older)).check_path(path_of(pki, voter), NOW)


# -- the indexes as a vote function reads them: the index folder, re-read only when changed ------

class Folder:
    """The refresher writing into a real index folder, and what the API reads of it."""

    def __init__(self, pki, path: Path) -> None:
        self.pki, self.path, self.folder = pki, path, IndexFolder(path)
        self.fetches = 0
        self.clock = Clock()
        self.problems: list[str] = []

    def write(self, *crls: bytes) -> None:
        named = {f"{n}.crl": data for n, data in enumerate(crls)}
        refresh(list(named), named.__getitem__, self.pki.crl_trust(), self.folder, KEY, NOW)

    def fetch(self, name: str, etag: str | None):
        self.fetches += 1
        return self.folder.fetch(name, etag)

    def indexes(self, **options) -> RefreshingIndexes:
        return RefreshingIndexes(self.fetch, KEY, clock=self.clock,
                                 on_problem=lambda kind, _: self.problems.append(kind), **options)

    def index_file(self) -> Path:
        return self.path / index_name(Certificate(self.pki.intermediate.der).fingerprint)


@pytest.fixture
def folder(pki, tmp_path) -> Folder:
    return Folder(pki, tmp_path / "crl-index")


def test_an_index_is_read_once_and_reused_while_unchanged(pki, folder):
    voter = pki.voter("900101300220")
    folder.write(*with_root_crl(pki, crl(pki, {})))
    check = Revocation(folder.indexes())
    for _ in range(5):
        check.check_path(path_of(pki, voter), NOW)
    assert folder.fetches == 2  # one per CA of the path
    folder.clock.advance(minutes=6)
    check.check_path(path_of(pki, voter), NOW)
    assert folder.fetches == 4  # asked again with the ETag: unchanged, nothing read


def test_a_new_index_is_taken_once_its_etag_changed(pki, folder):
    voter = pki.voter("900101300221")
    folder.write(*with_root_crl(pki, crl(pki, {}, number=1)))
    check = Revocation(folder.indexes())
    check.check_path(path_of(pki, voter), NOW)
    folder.write(*with_root_crl(pki, crl(pki, revoked(voter), hours_ago=0.5, number=2)))
    check.check_path(path_of(pki, voter), NOW)  # within max_age: the held index
    folder.clock.advance(minutes=5)
    assert code(check, path_of(pki, voter)) == "certificate_revoked"


def test_a_tampered_index_is_refused_and_the_held_one_kept(pki, folder):
    voter = pki.voter("900101300222")
    folder.write(*with_root_crl(pki, crl(pki, revoked(voter))))
    check = Revocation(folder.indexes())
    assert code(check, path_of(pki, voter)) == "certificate_revoked"
    data = bytearray(folder.index_file().read_bytes())
    data[-40] ^= 0x01
    folder.index_file().write_bytes(bytes(data))
    folder.clock.advance(minutes=5)
    assert code(check, path_of(pki, voter)) == "certificate_revoked"
    assert folder.problems == ["refused"]


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_tampered_or_truncated_index_with_none_held_fails_closed(pki, folder, damage):
    folder.write(*with_root_crl(pki, crl(pki, {})))
    data = folder.index_file().read_bytes()
    folder.index_file().write_bytes(data[:-100] if damage == "truncate" else data[:50] + bytes([data[50] ^ 1]) +
                                    data[51:])
    assert code(Revocation(folder.indexes()), path_of(pki, pki.voter("900101300223"))) == "revocation_unavailable"
    assert folder.problems == ["refused"]


def test_an_unreachable_store_keeps_the_held_index(pki, folder, tmp_path):
    voter = pki.voter("900101300224")
    folder.write(*with_root_crl(pki, crl(pki, revoked(voter))))
    check = Revocation(folder.indexes())
    assert code(check, path_of(pki, voter)) == "certificate_revoked"
    os.rename(folder.path, tmp_path / "gone")
    folder.path.write_text("not a folder")  # reading any index now fails with an OSError
    folder.clock.advance(minutes=5)
    assert code(check, path_of(pki, voter)) == "certificate_revoked"
    assert "unreachable" in folder.problems


def test_an_older_index_never_replaces_a_newer_one(pki, folder, tmp_path):
    voter = pki.voter("900101300225")
    folder.write(*with_root_crl(pki, crl(pki, {}, hours_ago=10, number=1)))
    older = folder.index_file().read_bytes()
    folder.write(*with_root_crl(pki, crl(pki, revoked(voter), hours_ago=1, number=2)))
    check = Revocation(folder.indexes())
    assert code(check, path_of(pki, voter)) == "certificate_revoked"
    folder.index_file().write_bytes(older)  # an authentic, older index put back (a restored object version)
    folder.clock.advance(minutes=5)
    assert code(check, path_of(pki, voter)) == "certificate_revoked"
    assert folder.problems == ["older"]


def test_a_missing_index_is_looked_for_again_soon(pki, folder):
    voter = pki.voter("900101300226")
    check = Revocation(folder.indexes(retry=timedelta(seconds=30)))
    assert code(check, path_of(pki, voter)) == "revocation_unavailable"
    folder.write(*with_root_crl(pki, crl(pki, {})))
    folder.clock.advance(seconds=31)
    check.check_path(path_of(pki, voter), NOW)
