"""The CRL reader: the NCA's real CRLs, every form a CA publishes (built here), and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.verify.certificate import Certificate
from chalicelib.verify.crl import CrlError, read_crl
from chalicelib.verify.policy import NCA
from chalicelib.verify.revocation_index import REMOVED
from chalicelib.verify.trust import TrustStore
from devtools import devpki, gost_keys
from devtools.devpki import REASONS
from tests.conftest import NOW

REVOKED_AT = NOW - timedelta(days=3)

# The NCA's real CRLs: (file, its CA's certificate, entries, cRLNumber, thisUpdate).
REAL_CRLS = [
    ("rsa/nca_rsa_test.crl", "rsa/nca_rsa_test.pem", 126, 9, datetime(2022, 3, 29, 4, 18, 29, tzinfo=UTC)),
    ("gost2004/nca_gost_test.crl", "gost2004/nca_gost_test.pem", 31, 7, datetime(2022, 3, 29, 4, 30, 7, tzinfo=UTC)),
    ("gost2015/nca_gost2022_test.crl", "gost2015/nca_gost2022_test.cer", 6, 4,
     datetime(2022, 7, 27, 11, 26, 6, tzinfo=UTC)),
]


def trust_of(*cas: devpki.Issued) -> TrustStore:
    return TrustStore([Certificate(ca.der) for ca in cas])


def reason_of(data: bytes, trust: TrustStore) -> str:
    with pytest.raises(CrlError) as caught:
        read_crl(data, trust)
    return caught.value.code


@pytest.fixture(scope="module")
def ca() -> devpki.Issued:
    return devpki.issue_ca("CRL TEST CA", not_before=NOW - timedelta(days=30))


@pytest.fixture(scope="module")
def gost_ca() -> gost_keys.GostCa:
    return gost_keys.issue_gost_ca("CRL TEST CA (GOST)", not_before=NOW - timedelta(days=30))


@pytest.mark.parametrize(("name", "issuer", "entries", "number", "this_update"), REAL_CRLS,
                         ids=[row[0] for row in REAL_CRLS])
def test_every_real_nca_crl_is_read_and_verified_with_its_cas_key(nca: Path, name, issuer, entries, number,
                                                                   this_update):
    authority = Certificate.from_pem_or_der((nca / issuer).read_bytes())[0]
    crl = read_crl((nca / name).read_bytes(), TrustStore([authority]))
    assert (crl.issuer, len(crl.revoked), crl.number, crl.delta_base, crl.this_update) == (
        authority, entries, number, None, this_update)
    assert crl.next_update > crl.this_update


def test_a_revocation_date_of_the_real_rsa_crl_is_read_to_the_second(nca: Path):
    authority = Certificate.from_pem_or_der((nca / "rsa/nca_rsa_test.pem").read_bytes())[0]
    crl = read_crl((nca / "rsa/nca_rsa_test.crl").read_bytes(), TrustStore([authority]))
    revoked_sign_key = 0x46757A2158A604189C40FB1FCDAB1143F83F32DB  # rsa/individual_sign_revoked.p12
    seconds = crl.revoked.revoked_at(revoked_sign_key)
    assert seconds is not None
    assert datetime.fromtimestamp(seconds, UTC) == datetime(2022, 1, 18, 4, 40, 24, tzinfo=UTC)


def test_a_real_crl_under_another_ca_of_the_same_name_is_refused(nca: Path):
    impostor = devpki.issue_ca("x", name=Certificate.from_pem_or_der(
        (nca / "rsa/nca_rsa_test.pem").read_bytes())[0].x509.subject)
    assert reason_of((nca / "rsa/nca_rsa_test.crl").read_bytes(), trust_of(impostor)) == "bad_signature"


def test_inner_algorithm_without_null_and_outer_with_null_is_the_same_algorithm(ca):
    crl = devpki.issue_crl(ca, {5: REVOKED_AT}, inner_null=False, outer_null=True)
    assert read_crl(crl, trust_of(ca)).revoked.revoked_at(5) == int(REVOKED_AT.timestamp())


def test_inner_with_null_and_outer_without_is_read_too(ca):
    assert len(read_crl(devpki.issue_crl(ca, {5: REVOKED_AT}, inner_null=True, outer_null=False), trust_of(ca))
               .revoked) == 1


def test_a_gost_2015_crl_with_the_ncas_quirk_verifies_with_its_cas_gost_key(gost_ca):
    crl = devpki.issue_crl(gost_ca.crl_signer(), {7: REVOKED_AT}, number=12, inner_null=False, outer_null=True)
    read = read_crl(crl, TrustStore([Certificate(gost_ca.certificate_der)]))
    assert (read.number, read.revoked.revoked_at(7)) == (12, int(REVOKED_AT.timestamp()))


def test_algorithms_that_differ_inside_and_outside_are_refused(ca):
    crl = devpki.issue_crl(ca, {5: REVOKED_AT})
    sha384 = crl.replace(bytes.fromhex("2a864886f70d01010b"), bytes.fromhex("2a864886f70d01010c"), 1)  # inner only
    assert reason_of(sha384, trust_of(ca)) == "malformed"


def test_parameters_other_than_null_are_not_ignored(ca):
    crl = devpki.issue_crl(ca, {5: REVOKED_AT})
    inner = bytes.fromhex("300d06092a864886f70d01010b0500")
    odd = crl.replace(inner, bytes.fromhex("300d06092a864886f70d01010b0400"), 1)  # an empty OCTET STRING
    assert reason_of(odd, trust_of(ca)) == "malformed"


def test_a_pem_crl_is_read(ca):
    assert len(read_crl(devpki.issue_crl(ca, {1: REVOKED_AT, 2: REVOKED_AT}, pem=True), trust_of(ca)).revoked) == 2


def test_crl_numbers_and_the_delta_indicator_are_read(ca):
    delta = read_crl(devpki.issue_crl(ca, {}, number=41, delta_base=40), trust_of(ca))
    assert (delta.number, delta.delta_base, delta.is_delta) == (41, 40, True)


def test_a_delta_crl_without_a_crl_number_is_refused(ca):
    assert reason_of(devpki.issue_crl(ca, {}, delta_base=40), trust_of(ca)) == "malformed"


def test_remove_from_crl_in_a_delta_takes_a_held_certificate_off(ca):
    delta = read_crl(devpki.issue_crl(ca, {9: REVOKED_AT}, number=3, delta_base=2,
                                      reasons={9: REASONS["removeFromCRL"]}), trust_of(ca))
    assert delta.revoked.revoked_at(9) == REMOVED


def test_remove_from_crl_in_a_base_crl_is_no_revocation(ca):
    base = read_crl(devpki.issue_crl(ca, {9: REVOKED_AT}, number=3, reasons={9: REASONS["removeFromCRL"]}),
                    trust_of(ca))
    assert base.revoked.revoked_at(9) is None


def test_a_certificate_on_hold_counts_as_revoked(ca):
    held = read_crl(devpki.issue_crl(ca, {9: REVOKED_AT}, reasons={9: REASONS["certificateHold"]}), trust_of(ca))
    assert held.revoked.revoked_at(9) == int(REVOKED_AT.timestamp())


def test_a_serial_listed_twice_counts_from_its_earliest_date(ca):
    crl = devpki.issue_crl(ca, [(9, REVOKED_AT + timedelta(days=1)), (10, REVOKED_AT), (9, REVOKED_AT)])
    assert read_crl(crl, trust_of(ca)).revoked.revoked_at(9) == int(REVOKED_AT.timestamp())


def test_revocation_dates_in_generalized_time_are_read(ca):
    late = datetime(2051, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert read_crl(devpki.issue_crl(ca, {3: late}), trust_of(ca)).revoked.revoked_at(3) == int(late.timestamp())


def test_a_crl_signed_by_another_key_with_the_cas_name_is_refused(ca):
    impostor = devpki.Issued(ca.certificate, devpki.new_key("rsa"))
    assert reason_of(devpki.issue_crl(impostor, {}), trust_of(ca)) == "bad_signature"


def test_a_crl_whose_ca_is_not_in_the_trust_folder_is_refused(ca):
    stranger = devpki.issue_ca("NOT TRUSTED CA")
    assert reason_of(devpki.issue_crl(stranger, {}), trust_of(ca)) == "untrusted_issuer"


def test_a_crl_of_a_ca_without_crl_sign_is_refused():
    no_crl_sign = devpki.issue_ca("CA WITHOUT cRLSign", crl_sign=False)
    assert reason_of(devpki.issue_crl(no_crl_sign, {}), trust_of(no_crl_sign)) == "no_crl_sign"


def test_a_crl_without_next_update_is_refused(ca):
    assert reason_of(devpki.issue_crl(ca, {}, without_next_update=True), trust_of(ca)) == "malformed"


@pytest.mark.parametrize("oid", ["2.5.29.28", "2.5.29.29"], ids=["issuingDistributionPoint", "certificateIssuer"])
def test_extensions_that_narrow_what_the_crl_covers_are_refused(ca, oid):
    assert reason_of(devpki.issue_crl(ca, {}, extensions=((oid, True, b"\x30\x00"),)), trust_of(ca)) == "unsupported"


def test_an_unknown_critical_crl_extension_is_refused_and_a_non_critical_one_ignored(ca):
    assert reason_of(devpki.issue_crl(ca, {}, extensions=(("1.2.3.4", True, b"\x05\x00"),)), trust_of(ca)) == \
        "unsupported"
    assert read_crl(devpki.issue_crl(ca, {}, extensions=(("1.2.3.4", False, b"\x05\x00"),)), trust_of(ca))


def test_an_unknown_critical_entry_extension_is_refused(ca):
    crl = devpki.issue_crl(ca, {4: REVOKED_AT}, entry_extensions={4: (("1.2.3.4", True, b"\x05\x00"),)})
    assert reason_of(crl, trust_of(ca)) == "unsupported"


def test_an_entry_with_an_invalidity_date_is_read_at_its_revocation_date(ca):
    invalidity = ("2.5.29.24", False, devpki.der_element(0x18, b"20260101000000Z"))
    crl = devpki.issue_crl(ca, {4: REVOKED_AT}, entry_extensions={4: (invalidity,)})
    assert read_crl(crl, trust_of(ca)).revoked.revoked_at(4) == int(REVOKED_AT.timestamp())


@pytest.mark.parametrize("cut", [1, 10, 200])
def test_a_truncated_crl_is_refused(ca, cut):
    crl = devpki.issue_crl(ca, {n: REVOKED_AT for n in range(1, 20)})
    assert reason_of(crl[:-cut], trust_of(ca)) == "malformed"


def test_a_changed_entry_breaks_the_signature(ca):
    crl = devpki.issue_crl(ca, {0x1234: REVOKED_AT})
    assert reason_of(crl.replace(b"\x02\x02\x12\x34", b"\x02\x02\x12\x35"), trust_of(ca)) == "bad_signature"


def test_bytes_that_are_not_a_crl_are_refused(ca):
    for data in (b"", b"\x30\x82\xff\xff garbage", b"-----BEGIN X509 CRL-----\n!!\n-----END X509 CRL-----"):
        assert reason_of(data, trust_of(ca)) == "malformed"


def test_a_crl_larger_than_the_policy_is_refused_before_it_is_read(ca):
    assert reason_of(b"\x30" * (NCA.max_crl_bytes + 1), trust_of(ca)) == "malformed"


def test_zero_and_negative_serials_are_no_revocation_of_any_certificate(ca):
    crl = read_crl(devpki.issue_crl(ca, {0: REVOKED_AT, -5: REVOKED_AT, 6: REVOKED_AT}), trust_of(ca))
    assert len(crl.revoked) == 1 and crl.revoked.revoked_at(6) is not None


def test_a_21_byte_serial_is_read_and_a_longer_one_refuses_the_crl(ca):
    longest = (1 << 167) | 1  # 21 bytes of magnitude: the longest a certificate here may have
    assert read_crl(devpki.issue_crl(ca, {longest: REVOKED_AT}), trust_of(ca)).revoked.revoked_at(longest)
    assert reason_of(devpki.issue_crl(ca, {1 << 180: REVOKED_AT}), trust_of(ca)) == "malformed"
