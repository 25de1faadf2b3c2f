"""Every refusal has the contract's status and words in kk, ru and en."""

import pytest

from chalicelib.rejection import CODES, Rejection, message_for, preferred_language, status_for

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


@pytest.mark.parametrize(("header", "language"), [
    (None, "ru"), ("", "ru"), ("en-US,en;q=0.9", "en"), ("kk", "kk"), ("de-DE,en;q=0.5,kk;q=0.8", "kk"),
    ("fr", "ru"), ("en;q=0", "ru"), ("en;q=abc, kk", "kk"), ("ru;q=0.1,en;q=0.1", "ru"),
])
def test_language_follows_accept_language(header, language):
    assert preferred_language(header) == language
