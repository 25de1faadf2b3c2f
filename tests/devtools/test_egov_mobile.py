"""The eGov mobile stand-in: it reads what a phone scans or opens, and signs with the development
PKI's keys (RSA, ECDSA and GOST) so that the service verifies the signature (the whole flow over
HTTP is in tests/browser/test_mobile_signing.py)."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.adapters.pki_folders import crls_in_folder, trust_from_folder
from chalicelib.verify.crl_refresh import held_indexes_from_crls
from chalicelib.verify.revocation import Revocation
from chalicelib.verify.signature import SignatureVerifier
from devtools.egov_mobile import ProtocolError, api1_url, signer
from devtools.localpki import load_dev_pki, write_dev_pki

API1 = "https://vote.example.kz/api/egov/Sun4z90Vf3clm_v-3t8m1w"


@pytest.mark.parametrize("scanned", [
    f"mobileSign:{API1}",
    "https://mgovsign.page.link/?link=https%3A%2F%2Fvote.example.kz%2Fapi%2Fegov%2FSun4z90Vf3clm_v-3t8m1w"
    "&isi=1476128386&ibi=kz.egov.mobile&apn=kz.mobile.mgov",
    f"  {API1}\n",
])
def test_api1_is_read_from_the_qr_text_the_link_or_the_url(scanned):
    assert api1_url(scanned) == API1


@pytest.mark.parametrize("scanned", ["mobileSign:", "hello", "https://mgovsign.page.link/?isi=1", "ftp://x/egov/1"])
def test_anything_else_is_not_a_session(scanned):
    with pytest.raises(ProtocolError):
        api1_url(scanned)


@pytest.fixture(scope="module")
def dev_pki(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pki")
    write_dev_pki(folder)
    return folder


@pytest.fixture(scope="module")
def verifier(dev_pki) -> SignatureVerifier:
    """The dev stage's verifier: its trust folder, and its CRL folder refreshed into indexes."""
    trust = trust_from_folder(str(dev_pki / "trust"))
    held, report = held_indexes_from_crls(crls_in_folder(str(dev_pki / "crl")), trust, datetime.now(UTC))
    assert len(held) == 1 and not report.failed
    return SignatureVerifier(trust, Revocation(held))


@pytest.mark.parametrize(("key", "algorithm"), [("rsa", "RSA"), ("ecdsa", "ECDSA"), ("gost", "GOST 34.10-2015/512")])
def test_the_stand_in_signs_with_each_kind_of_development_key(dev_pki, verifier, key, algorithm):
    cms = signer(load_dev_pki(dev_pki), "900101300321", key, "citizen")(b'{"v": 1}')
    verified = verifier.verify(cms, datetime.now(UTC))
    assert (verified.iin, verified.content) == ("900101300321", b'{"v": 1}')
    assert verified.algorithm.startswith(algorithm)


@pytest.mark.parametrize(("profile", "code"), [("legal-entity", "not_an_individual"),
                                               ("auth", "certificate_not_for_signing"),
                                               ("expired", "certificate_expired"),
                                               ("revoked", "certificate_revoked")])
def test_the_stand_in_plays_the_keys_the_service_refuses(dev_pki, verifier, profile, code):
    from chalicelib.verify.failures import VerificationError

    cms = signer(load_dev_pki(dev_pki), None, "rsa", profile)(b'{"v": 1}')
    with pytest.raises(VerificationError) as caught:
        verifier.verify(cms, datetime.now(UTC))
    assert caught.value.code == code


def test_a_gost_key_of_a_legal_entity_is_refused_as_such(dev_pki, verifier):
    from chalicelib.verify.failures import VerificationError

    cms = signer(load_dev_pki(dev_pki), "900101300322", "gost", "legal-entity")(b'{"v": 1}')
    with pytest.raises(VerificationError) as caught:
        verifier.verify(cms, datetime.now(UTC))
    assert caught.value.code == "not_an_individual"


def test_make_run_says_how_to_play_the_phone():
    from devtools.stack import LOCAL, LocalStack, egov_mobile_help

    lines = egov_mobile_help(LocalStack(LOCAL))
    assert lines[-1].endswith(' -m devtools.egov_mobile "mobileSign:http://127.0.0.1:8000/egov/<id>" '
                              "[--iin 900101300123] [--key rsa|ecdsa|gost]")
