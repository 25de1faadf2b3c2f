"""The composition root: each entry point builds only what it uses, from one Settings."""

import pytest

from chalicelib.adapters.evidence_keys import public_pem
from chalicelib.adapters.memory import MemoryStore
from chalicelib.runtime import Runtime
from chalicelib.settings import ConfigurationError, Settings
from tests.conftest import commission_key


def test_the_closer_needs_neither_the_secret_nor_the_trust_folder():
    wired = Runtime(Settings(), store=MemoryStore())
    assert wired.closer.run() == []
    assert "keys" not in wired.__dict__ and "trust" not in wired.__dict__


def test_the_voting_service_without_a_secret_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="VOTING_SECRET"):
        Runtime(Settings(), store=MemoryStore()).keys  # noqa: B018


def test_the_verifier_without_a_trust_folder_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="VOTING_TRUST_DIR"):
        Runtime(Settings(secret="s" * 32), store=MemoryStore()).verifier  # noqa: B018


def test_parts_are_built_once_per_process(pki, tmp_path):
    (tmp_path / "root.pem").write_bytes(pki.root.pem)
    wired = Runtime(Settings(secret="s" * 32, trust_dir=str(tmp_path),
                             evidence_public_key=public_pem(commission_key().public_key)), store=MemoryStore())
    assert wired.voting is wired.voting and wired.voting.verifier is wired.sign_in.verifier
    assert wired.voting.sealer.key_id == commission_key().key_id


def test_the_crl_refresh_without_its_bucket_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="VOTING_CRL_BUCKET"):
        Runtime(Settings()).refresh_crls()


def test_no_vote_is_taken_without_the_commissions_public_key():
    with pytest.raises(ConfigurationError, match="VOTING_EVIDENCE_KEY is not set"):
        Runtime(Settings(secret="s" * 32), store=MemoryStore()).sealer  # noqa: B018


def test_a_public_key_that_is_not_pem_names_the_setting():
    with pytest.raises(ConfigurationError, match="VOTING_EVIDENCE_KEY: not a PEM public key"):
        Runtime(Settings(evidence_public_key="MIIBIjANBgkq"), store=MemoryStore()).sealer  # noqa: B018


def test_a_commission_key_shorter_than_3072_bits_is_refused():
    from cryptography.hazmat.primitives.asymmetric import rsa

    short = public_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key())
    with pytest.raises(ConfigurationError, match="2048 bits; at least 3072"):
        Runtime(Settings(evidence_public_key=short), store=MemoryStore()).sealer  # noqa: B018


def test_opening_the_evidence_needs_the_commissions_key_configured():
    with pytest.raises(ConfigurationError, match=r"VOTING_EVIDENCE_KMS_KEY .* or VOTING_EVIDENCE_KEY_FILE"):
        Runtime(Settings(), store=MemoryStore()).commission_key  # noqa: B018


def test_the_closer_never_builds_the_sealer_or_the_commission_key():
    wired = Runtime(Settings(), store=MemoryStore())
    wired.closer.run()
    assert "sealer" not in wired.__dict__ and "commission_key" not in wired.__dict__
