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


def test_the_crl_refresh_without_crls_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="VOTING_CRL_URLS"):
        Runtime(Settings()).refresh_crls()


def test_the_crl_refresh_without_a_place_for_the_indexes_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="VOTING_CRL_INDEX_DIR"):
        Runtime(Settings(crl_dir=str(tmp_path))).refresh_crls()


def test_the_vote_path_reads_indexes_and_never_a_crl_when_an_index_folder_is_set(pki, tmp_path, monkeypatch):
    from chalicelib.verify.revocation import RefreshingIndexes

    (tmp_path / "root.pem").write_bytes(pki.root.pem)
    monkeypatch.setattr("chalicelib.verify.crl.read_crl", lambda *a: pytest.fail("a CRL parsed on the vote path"))
    wired = Runtime(Settings(secret="s" * 32, trust_dir=str(tmp_path), crl_dir=str(tmp_path),
                             crl_index_dir=str(tmp_path / "index")), store=MemoryStore())
    assert isinstance(wired.revocation.indexes, RefreshingIndexes)


def test_without_an_index_store_the_crl_folder_is_refreshed_in_this_process(pki, tmp_path):
    """The offline audit's case: the CRLs it is given are verified here, once."""
    from chalicelib.verify.revocation import HeldIndexes

    (tmp_path / "trust").mkdir()
    (tmp_path / "trust" / "root.pem").write_bytes(pki.root.pem)
    (tmp_path / "crl").mkdir()
    (tmp_path / "crl" / "root.crl").write_bytes(pki.crls()[0])
    wired = Runtime(Settings(trust_dir=str(tmp_path / "trust"), crl_dir=str(tmp_path / "crl")), store=MemoryStore())
    assert isinstance(wired.revocation.indexes, HeldIndexes) and len(wired.revocation.indexes) == 1


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


def test_every_alarm_of_the_revocation_step_has_its_metric():
    from chalicelib import runtime
    from chalicelib.verify import revocation

    assert set(runtime._ALARMS) == {revocation.STALE, revocation.STALE_BEYOND_TOLERANCE, revocation.NO_CRL}


def test_every_kind_of_unusable_index_has_its_metric():
    from chalicelib.adapters import metrics
    from chalicelib.verify import revocation

    assert metrics.INDEX_PROBLEMS == (revocation.UNREACHABLE, revocation.REFUSED, revocation.OLDER, revocation.MISSING)
