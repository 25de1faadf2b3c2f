"""Trust and CRL folders: what the local stack, the audit and a deployment read at start."""

import pytest

from chalicelib.adapters.pki_folders import IndexFolder, crls_in_folder, trust_from_folder
from chalicelib.settings import ConfigurationError


def test_every_certificate_in_the_folder_is_an_anchor(pki, tmp_path):
    (tmp_path / "root.pem").write_bytes(pki.root.pem)
    (tmp_path / "nca.der").write_bytes(pki.intermediate.der)
    (tmp_path / "notes.txt").write_text("not a certificate, and not read")
    assert {a.der for a in trust_from_folder(tmp_path).anchors} == {pki.root.der, pki.intermediate.der}


@pytest.mark.parametrize("content", [None, b"", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
def test_a_trust_folder_that_cannot_be_used_is_a_configuration_error(tmp_path, content):
    folder = tmp_path / "trust"
    if content is not None:
        folder.mkdir()
        (folder / "root.pem").write_bytes(content)
    with pytest.raises(ConfigurationError, match="trust folder"):
        trust_from_folder(folder)


def test_crl_files_are_read_by_name(tmp_path):
    (tmp_path / "b.crl").write_bytes(b"second")
    (tmp_path / "a.der").write_bytes(b"first")
    (tmp_path / "readme.md").write_text("skipped")
    assert crls_in_folder(tmp_path) == [("a.der", b"first"), ("b.crl", b"second")]


def test_a_missing_crl_folder_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="VOTING_CRL_DIR"):
        crls_in_folder(tmp_path / "none")


def test_an_index_folder_answers_unchanged_while_the_file_is_the_same(tmp_path):
    from chalicelib.verify.revocation import UNCHANGED

    folder = IndexFolder(tmp_path / "index")
    assert folder.fetch("a.idx", None) is None
    folder.write_index("a.idx", b"first", [])
    data, etag = folder.fetch("a.idx", None)
    assert data == b"first" and folder.fetch("a.idx", etag) is UNCHANGED
    folder.write_index("a.idx", b"other", [])
    assert folder.fetch("a.idx", etag) == (b"other", folder.fetch("a.idx", None)[1])


def test_an_index_is_written_whole_or_not_at_all(tmp_path):
    folder = IndexFolder(tmp_path)
    folder.write_index("a.idx", b"x" * 1000, [])
    assert [p.name for p in tmp_path.iterdir()] == ["a.idx"]  # no temporary file left behind
