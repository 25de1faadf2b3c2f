"""Path building: backtracking, validity inside the search, pruning by names and key
identifiers, and the budget of signature verifications a request may spend."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from cryptography import x509

from chalicelib.verify import trace
from chalicelib.verify.certificate import Certificate
from chalicelib.verify.failures import VerificationError
from chalicelib.verify.policy import NCA
from chalicelib.verify.signature import SignatureVerifier
from chalicelib.verify.trust import TrustStore
from devtools import devpki
from tests.conftest import NOW

BALLOT = b'{"v": 1, "contest": "c", "nominee": "n", "challenge": "t"}'


def refusal(verifier: SignatureVerifier, cms: bytes) -> VerificationError:
    with pytest.raises(VerificationError) as caught:
        verifier.verify(cms, NOW)
    return caught.value


def test_an_expired_copy_of_the_intermediate_listed_first_does_not_hide_the_valid_path(pki):
    # Same name, same key, expired: the search skips it and backtracks to the valid copy.
    expired = devpki.issue_ca("TEST NCA (RSA)", issuer=pki.root, key=pki.intermediate.key,
                              not_before=NOW - timedelta(days=400), days=100, path_length=0)
    voter = pki.voter("900101300401")
    for chain in ((expired, pki.intermediate), (pki.intermediate, expired)):
        cms = pki.sign(BALLOT, voter, chain=chain)
        assert pki.verifier().verify(cms, NOW).iin == "900101300401"


def test_only_an_expired_intermediate_makes_the_path_expired(pki):
    expired = devpki.issue_ca("TEST NCA (RSA)", issuer=pki.root, key=pki.intermediate.key,
                              not_before=NOW - timedelta(days=400), days=100, path_length=0)
    cms = pki.sign(BALLOT, pki.voter("900101300402"), chain=(expired,))
    assert refusal(pki.verifier(), cms).code == "certificate_expired"


def test_an_intermediate_not_yet_valid_makes_the_path_not_yet_valid(pki):
    early = devpki.issue_ca("TEST NCA (RSA)", issuer=pki.root, key=pki.intermediate.key,
                            not_before=NOW + timedelta(days=1), path_length=0)
    cms = pki.sign(BALLOT, pki.voter("900101300403"), chain=(early,))
    assert refusal(pki.verifier(), cms).code == "certificate_not_yet_valid"


def test_a_link_already_verified_between_cas_is_not_verified_again(pki):
    verifier = pki.verifier()
    verifier.verify(pki.sign(BALLOT, pki.voter("900101300404")), NOW)
    verifier.verify(pki.sign(BALLOT, pki.voter("900101300405")), NOW)
    # The citizen's link and the signature: the intermediate → root link is remembered.
    assert trace.last().signature_checks == 2


def test_certificates_whose_names_lead_to_no_anchor_cost_no_signature_check(pki):
    # Nine self-issued "CAs" sharing one key, named like nothing the verifier trusts.
    key = devpki.new_key("rsa")
    rogues = [devpki.issue_ca("ROGUE CA", key=key, not_before=NOW - timedelta(days=1)) for _ in range(9)]
    victim = devpki.issue_person(rogues[0], "900101300406", not_before=NOW - timedelta(days=1))
    error = refusal(pki.verifier(), devpki.sign_cms(BALLOT, victim, chain=tuple(rogues)))
    assert (error.code, trace.last().signature_checks) == ("untrusted_certificate", 0)


def test_self_issued_cas_named_like_the_root_each_cost_at_most_one_check_within_the_budget(pki):
    # The same nine under the root's own name: each is a candidate, none loops back.
    key = devpki.new_key("rsa")
    name = pki.root.certificate.subject
    rogues = [devpki.issue_ca("x", name=name, key=key, not_before=NOW - timedelta(days=1)) for _ in range(9)]
    victim = devpki.issue_person(rogues[0], "900101300407", not_before=NOW - timedelta(days=1))
    error = refusal(pki.verifier(), devpki.sign_cms(BALLOT, victim, chain=tuple(rogues)))
    assert error.code == "untrusted_certificate"
    assert trace.last().signature_checks <= NCA.max_signature_checks


def test_a_candidate_whose_key_identifier_differs_from_the_authority_key_identifier_is_skipped(pki):
    other = devpki.issue_ca("TEST NCA (RSA)", issuer=pki.root, not_before=NOW - timedelta(days=10), path_length=0)
    identifier = x509.AuthorityKeyIdentifier.from_issuer_public_key(pki.intermediate.key.public_key())
    voter = devpki.issue_person(pki.intermediate, "900101300408", not_before=NOW - timedelta(days=1),
                                extensions=((identifier, False),))
    verifier = pki.verifier()
    verifier.verify(pki.sign(BALLOT, voter), NOW)  # the intermediate's link is now known
    assert verifier.verify(pki.sign(BALLOT, voter, chain=(other, pki.intermediate)), NOW).iin == "900101300408"
    assert trace.last().signature_checks == 2  # never the other key's


def test_a_request_that_needs_more_checks_than_its_budget_is_refused(pki):
    impostors = [devpki.issue_ca("TEST NCA (RSA)", issuer=pki.root, not_before=NOW - timedelta(days=10),
                                 path_length=0) for _ in range(3)]
    cms = pki.sign(BALLOT, pki.voter("900101300409"), chain=(*impostors, pki.intermediate))
    verifier = SignatureVerifier(pki.trust(), pki.revocation(), rules=dataclasses.replace(NCA, max_signature_checks=2))
    error = refusal(verifier, cms)
    assert (error.code, "budget" in error.detail) == ("untrusted_certificate", True)
    assert trace.last().signature_checks == 2


def test_candidates_past_the_policys_count_are_not_tried(pki):
    impostors = [devpki.issue_ca("TEST NCA (RSA)", issuer=pki.root, not_before=NOW - timedelta(days=10),
                                 path_length=0) for _ in range(NCA.max_candidates + 2)]
    cms = pki.sign(BALLOT, pki.voter("900101300410"), chain=tuple(impostors))
    assert "too many candidate issuers" in refusal(pki.verifier(), cms).detail
    assert trace.last().signature_checks == NCA.max_candidates


def test_a_trust_anchor_in_the_cms_is_used_from_the_store(pki):
    verifier = SignatureVerifier(TrustStore([Certificate(pki.root.der)]), pki.revocation())
    cms = pki.sign(BALLOT, pki.voter("900101300411"), chain=(pki.intermediate, pki.root))
    assert verifier.verify(cms, NOW).iin == "900101300411"


def test_the_trace_names_the_step_that_decided_and_times_each_step(pki):
    verifier = pki.verifier()
    verifier.verify(pki.sign(BALLOT, pki.voter("900101300412")), NOW)
    accepted = trace.last().fields()
    assert accepted["verify_step"] == "accepted"
    assert list(accepted["verify_ms"]) == ["shape", "algorithms", "path", "digest", "signature", "revocation",
                                           "profile"]
    refusal(verifier, pki.sign(BALLOT, pki.voter("900101300413", usage="auth")))
    assert trace.last().fields()["verify_step"] == "profile"
