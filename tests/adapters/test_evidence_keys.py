"""Where the commission's key lives: a KMS asymmetric key (under moto) and a key file, each opening
evidence the vote path sealed with the public key alone; and the local key pair of `make run`."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import boto3
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from moto import mock_aws

from chalicelib.adapters.evidence_keys import (
    KmsCommissionKey,
    local_key_pair,
    public_pem,
    read_key_file,
    write_key_pair,
)
from chalicelib.settings import ConfigurationError
from chalicelib.voting.seal import Binding, CannotUnwrap, KeyUnavailable, Sealer, open_sealed, public_key_from_pem
from tests.conftest import NOW, a_challenge, commission_key, write_commission_key

REGION = "eu-central-1"
BINDING = Binding("c", "v" * 64, "ABCD-EFGH-IJKL-MNOP-QRST-UVWX", "hc-001", "2026-03-10T09:00:00.000000Z")
CMS = b"\x30\x82\x01\x00 a signed CMS naming IIN900101300123"


def teach_moto_aws_rsa_decrypt(monkeypatch) -> None:
    """moto 5.2's Decrypt only reads its own symmetric blobs; AWS decrypts RSAES_OAEP_SHA_* with
    the private half of the key pair whose public half GetPublicKey returns. Make moto do that for
    RSA keys, so a data key wrapped outside KMS (as the vote path does) unwraps as it does in AWS."""
    from moto.core.exceptions import JsonRESTError
    from moto.kms.exceptions import InvalidCiphertextException, InvalidKeyUsageException
    from moto.kms.responses import KmsResponse

    aws_oaep = {"RSAES_OAEP_SHA_256": hashes.SHA256(), "RSAES_OAEP_SHA_1": hashes.SHA1()}  # noqa: S303
    original = KmsResponse.decrypt

    def decrypt(self: KmsResponse) -> str:
        key_id = self._get_param("KeyId")
        key = self.kms_backend.describe_key(key_id) if key_id else None
        if key is None or not key.key_spec.startswith("RSA_"):
            return original(self)
        if not key.enabled:
            raise JsonRESTError("DisabledException", f"{key.arn} is disabled.")
        algorithm = self._get_param("EncryptionAlgorithm", "SYMMETRIC_DEFAULT")
        if algorithm not in aws_oaep:
            raise InvalidKeyUsageException(f"{key.arn}: algorithm {algorithm} is not valid for this key")
        try:
            plaintext = key.private_key.private_key.decrypt(
                self._get_param("CiphertextBlob"),
                padding.OAEP(mgf=padding.MGF1(aws_oaep[algorithm]), algorithm=aws_oaep[algorithm], label=None))
        except ValueError:
            raise InvalidCiphertextException() from None
        return json.dumps({"Plaintext": base64.b64encode(plaintext).decode(), "KeyId": key.arn,
                           "EncryptionAlgorithm": algorithm})

    monkeypatch.setattr(KmsResponse, "decrypt", decrypt)


@pytest.fixture
def kms(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        teach_moto_aws_rsa_decrypt(monkeypatch)
        yield boto3.client("kms", region_name=REGION)


def rsa_key(kms, spec: str = "RSA_3072", usage: str = "ENCRYPT_DECRYPT") -> str:
    return kms.create_key(KeySpec=spec, KeyUsage=usage, Description="commission evidence")["KeyMetadata"]["Arn"]


def test_evidence_sealed_to_a_kms_keys_public_key_opens_through_kms_decrypt(kms):
    key = KmsCommissionKey(rsa_key(kms), REGION)
    sealed = Sealer(key.public_key).seal(BINDING, CMS)  # the vote path: the public key only, no KMS call
    assert open_sealed(sealed, BINDING, key) == (CMS, None)


def test_the_kms_key_is_found_by_its_alias_too(kms):
    arn = rsa_key(kms)
    kms.create_alias(AliasName="alias/voting-prod-evidence", TargetKeyId=arn)
    assert KmsCommissionKey("alias/voting-prod-evidence", REGION).key_id == KmsCommissionKey(arn, REGION).key_id


def test_a_data_key_wrapped_to_another_key_pair_does_not_unwrap_in_kms(kms):
    key = KmsCommissionKey(rsa_key(kms), REGION)
    wrapped = commission_key().public_key.encrypt(b"k" * 32, padding.OAEP(
        mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    with pytest.raises(CannotUnwrap, match="InvalidCiphertextException"):
        key.unwrap(wrapped)


def test_a_kms_key_that_cannot_decrypt_rsa_oaep_is_refused_by_name(kms):
    signing = rsa_key(kms, usage="SIGN_VERIFY")
    with pytest.raises(ConfigurationError, match=r"VOTING_EVIDENCE_KMS_KEY: .* is not an RSA encryption key"):
        KmsCommissionKey(signing, REGION)


def test_a_kms_key_of_2048_bits_is_too_weak_for_evidence_kept_for_years(kms):
    with pytest.raises(ConfigurationError, match="2048 bits; at least 3072"):
        KmsCommissionKey(rsa_key(kms, "RSA_2048"), REGION)


def test_a_missing_kms_key_stops_with_what_to_do(kms):
    with pytest.raises(KeyUnavailable, match=r"NotFoundException. Run as the commission's audit role"):
        KmsCommissionKey("alias/no-such-key", REGION)


def test_a_disabled_kms_key_stops_the_opening(kms):
    arn = rsa_key(kms)
    key = KmsCommissionKey(arn, REGION)
    sealed = Sealer(key.public_key).seal(BINDING, CMS)
    kms.disable_key(KeyId=arn.rsplit("/", 1)[1])
    with pytest.raises(KeyUnavailable, match=r"Decrypt on .* refused: DisabledException"):
        open_sealed(sealed, BINDING, key)


def test_evidence_opens_with_the_key_file_of_the_public_key_it_was_sealed_to(tmp_path):
    key = read_key_file(str(write_commission_key(tmp_path / "k.pem")))
    sealed = Sealer(commission_key().public_key).seal(BINDING, CMS, b"ballot")
    assert open_sealed(sealed, BINDING, key) == (CMS, b"ballot")


def test_a_key_file_that_is_not_a_key_names_the_setting(tmp_path):
    (tmp_path / "k.pem").write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ConfigurationError, match=r"VOTING_EVIDENCE_KEY_FILE: .* is not a PEM private key"):
        read_key_file(str(tmp_path / "k.pem"))


def test_a_missing_key_file_names_the_path(tmp_path):
    with pytest.raises(ConfigurationError, match=r"cannot read .*absent.pem"):
        read_key_file(str(tmp_path / "absent.pem"))


def test_a_passphrase_protected_key_file_asks_for_its_passphrase(tmp_path):
    path = write_commission_key(tmp_path / "k.pem", passphrase="a passphrase of the commission")
    with pytest.raises(ConfigurationError, match="protected by a passphrase"):
        read_key_file(str(path))
    assert read_key_file(str(path), "a passphrase of the commission").key_id == commission_key().key_id


def test_a_new_key_pair_is_rsa_3072_with_a_private_file_only_its_owner_reads(tmp_path):
    written = write_key_pair(tmp_path / "keys", None)
    assert (tmp_path / "keys" / "commission-private.pem").stat().st_mode & 0o777 == 0o600
    public = public_key_from_pem((tmp_path / "keys" / "commission-public.pem").read_text())
    assert public.key_size == 3072 and public_pem(public) == public_pem(written.public_key)


def test_the_local_stacks_key_pair_is_made_once_and_kept(tmp_path):
    private, pem = local_key_pair(tmp_path)
    again_private, again_pem = local_key_pair(tmp_path)
    assert (again_private, again_pem) == (private, pem)
    assert read_key_file(str(private)).key_id == Sealer(public_key_from_pem(pem)).key_id


def test_the_audit_opens_every_record_through_kms_several_at_once(kms, pki):
    from chalicelib.voting.audit import audit
    from chalicelib.voting.ballot import ballot_bytes
    from chalicelib.voting.evidence import SealedVote, sealed_line

    key = KmsCommissionKey(rsa_key(kms), REGION)
    sealer, lines = Sealer(key.public_key), []
    for i in range(6):
        cms = pki.sign(ballot_bytes("c", "hc-001", a_challenge("c", NOW - timedelta(minutes=1))),
                       pki.voter(f"90010130070{i}"), signing_time=NOW)
        vote = SealedVote(f"RCPT-{i}", "c", f"voter-{i}", "hc-001", "2026-03-10T09:00:00.000000Z", b"")
        lines.append(sealed_line(SealedVote(**{**vote.__dict__, "sealed": sealer.seal(vote.binding(), cms)})))
    report = audit(lines, pki.verifier(), key, workers=4)
    assert report.ok, report.render()
    assert (report.opened, report.verified, report.total) == (6, 6, 6)
