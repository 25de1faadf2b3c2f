"""Every refusal has the contract's status and words in kk, ru and en, from one catalogue."""

import pytest

from chalicelib.verify import failures
from chalicelib.verify.failures import VerificationError
from chalicelib.voting.rejection import CODES, Rejection, message_for, status_for, texts_for_pages

CONTRACT = {
    "malformed_request": 400, "payload_too_large": 413, "contest_not_found": 404, "voting_not_open": 403,
    "voting_closed": 403, "not_an_individual": 403, "already_voted": 409, "invalid_signature": 422,
    "untrusted_certificate": 422, "certificate_expired": 422, "certificate_not_yet_valid": 422,
    "certificate_revoked": 422, "certificate_not_for_signing": 422, "invalid_ballot": 422,
    "invalid_challenge": 422, "unavailable": 503,
}


@pytest.mark.parametrize(("code", "status"), CONTRACT.items())
def test_contract_codes_have_their_status(code, status):
    assert status_for(code) == status


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_speaks_three_languages(code):
    texts = {language: message_for(code, language) for language in ("kk", "ru", "en")}
    assert all(texts.values()) and len(set(texts.values())) == 3


def test_unknown_code_cannot_be_raised():
    with pytest.raises(ValueError):
        Rejection("oops")


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_has_a_title_in_three_languages(code):
    titles = texts_for_pages()[code]["title"]
    assert set(titles) == {"kk", "ru", "en"} and all(titles.values())


@pytest.mark.parametrize("code", sorted(failures.CODES))
def test_every_refusal_of_the_verifier_has_a_contract_code(code):
    assert Rejection.of(VerificationError(code, "why")).code in CODES


def test_the_verifier_refusals_keep_their_detail_and_take_the_contract_names():
    assert (Rejection.of(VerificationError("malformed", "no signer")).code,
            Rejection.of(VerificationError("revocation_unavailable")).code,
            Rejection.of(VerificationError("certificate_revoked", "d")).detail) == \
        ("malformed_request", "unavailable", "d")
