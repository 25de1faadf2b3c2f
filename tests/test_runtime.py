"""The composition root: each entry point builds only what it uses, from one Settings."""

import pytest

from chalicelib.adapters.memory import MemoryStore
from chalicelib.runtime import Runtime
from chalicelib.settings import ConfigurationError, Settings


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
    wired = Runtime(Settings(secret="s" * 32, trust_dir=str(tmp_path)), store=MemoryStore())
    assert wired.voting is wired.voting and wired.voting.verifier is wired.sign_in.verifier


def test_the_crl_refresh_without_its_bucket_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="VOTING_CRL_BUCKET"):
        Runtime(Settings()).refresh_crls()
