"""The operator CLI for CRLs: refresh-crls (the refresher by hand, or a check) and crl-urls."""

from __future__ import annotations

from pathlib import Path

import pytest

import manage
from devtools import devpki
from tests.conftest import SECRET


@pytest.fixture
def folders(pki, tmp_path, monkeypatch) -> Path:
    """A stage's trust and CRL folders in the environment, as `make run` sets them."""
    for name in ("trust", "crl"):
        (tmp_path / name).mkdir()
    (tmp_path / "trust" / "root.pem").write_bytes(pki.root.pem)
    (tmp_path / "trust" / "nca.pem").write_bytes(pki.intermediate.pem)
    for n, crl in enumerate(pki.crls()):
        (tmp_path / "crl" / f"{n}.crl").write_bytes(crl)
    for name, value in {"VOTING_TRUST_DIR": "trust", "VOTING_CRL_DIR": "crl", "VOTING_CRL_INDEX_DIR": "index"}.items():
        monkeypatch.setenv(name, str(tmp_path / value))
    monkeypatch.setenv("VOTING_SECRET", SECRET)
    monkeypatch.setenv("VOTING_DYNAMODB_ENDPOINT", "http://127.0.0.1:8001")  # beside the local stack
    for name in ("VOTING_CRL_URLS", "VOTING_CRL_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_refresh_crls_indexes_each_ca_then_finds_nothing_new(folders, capsys):
    assert manage.main(["refresh-crls"]) == 0
    out = capsys.readouterr().out
    assert out.count("indexed  ") == 2 and "C=KZ,CN=TEST NCA (RSA): 0 revoked" in out
    assert len(list((folders / "index").iterdir())) == 2
    assert manage.main(["refresh-crls"]) == 0
    assert capsys.readouterr().out.count("unchanged") == 2


def test_refresh_crls_check_verifies_and_writes_nothing(folders, capsys):
    assert manage.main(["refresh-crls", "--check"]) == 0
    assert capsys.readouterr().out.count("would index") == 2
    assert not (folders / "index").exists()


def test_a_forged_crl_is_named_and_the_exit_status_says_so(folders, pki, capsys):
    forged = devpki.issue_crl(devpki.Issued(pki.intermediate.certificate, devpki.new_key("rsa")), {})
    (folders / "crl" / "forged.crl").write_bytes(forged)
    assert manage.main(["refresh-crls"]) == 1
    assert "refused    forged.crl  (bad_signature:" in capsys.readouterr().out


def test_crl_urls_reads_base_and_delta_urls_off_a_citizens_certificate(nca, capsys):
    assert manage.main(["crl-urls", str(nca / "rsa" / "individual_sign_2022.pem")]) == 0
    out = capsys.readouterr().out
    assert "base CRL  http://test.pki.gov.kz/crl/nca_rsa_test.crl" in out
    assert "delta CRL http://test.pki.gov.kz/crl/nca_d_rsa_test.crl" in out
    assert out.strip().endswith("VOTING_CRL_URLS=http://test.pki.gov.kz/crl/nca_rsa_test.crl,"
                                "http://test.pki.gov.kz/crl/nca_d_rsa_test.crl")


def test_crl_urls_splits_the_two_urls_the_2018_production_ca_wrote_in_one(nca, capsys):
    assert manage.main(["crl-urls", str(nca / "production-2015" / "nca_rsa.cer")]) == 0
    assert "VOTING_CRL_URLS=http://crl.root.gov.kz/rsa.crl,http://crl1.root.gov.kz/rsa.crl" in capsys.readouterr().out
