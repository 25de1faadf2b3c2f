"""Every real NCA certificate in ../shared/nca-test-pki fits the policy: read by our DER reader,
its key in profile, no RFC 5280 objection, and every link of its chain verifying."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.verify import algorithms
from chalicelib.verify.certificate import Certificate
from chalicelib.verify.cms import parse_signed_data
from chalicelib.verify.policy import NCA
from chalicelib.verify.trust import signed_by

CHAINS = {  # folder: (root, intermediate)
    "rsa": ("root_rsa_test.pem", "nca_rsa_test.pem"),
    "gost2004": ("root_gost_test.pem", "nca_gost_test.pem"),
    "gost2015": ("root_gost2022_test.cer", "nca_gost2022_test.cer"),
    "production-2015": ("root_rsa.cer", "nca_rsa.cer"),
}


def every_certificate(nca: Path) -> list[tuple[str, Certificate]]:
    found = []
    for path in sorted(nca.rglob("*")):
        if path.suffix in (".pem", ".cer"):
            found += [(str(path.relative_to(nca)), c) for c in Certificate.from_pem_or_der(path.read_bytes())]
        elif path.suffix == ".p12":
            found += [(f"{path.relative_to(nca)} #{i}", Certificate(c))
                      for i, c in enumerate(key_file_certificates(path))]
        elif path.suffix == ".p7s":
            found += [(f"{path.relative_to(nca)} #{i}", Certificate(c))
                      for i, c in enumerate(parse_signed_data(path.read_bytes()).certificates)]
    return found


def key_file_certificates(path: Path) -> list[bytes]:
    """The certificates of a .p12 (the README's passwords; GOST ones through devtools.gost_keys)."""
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

    from devtools import gost_keys

    password = "Aa123456" if path.name in ("individual_valid_2022.p12", "ceo_revoked.p12") else "Qwerty12"
    try:
        _, certificate, others = pkcs12.load_key_and_certificates(path.read_bytes(), password.encode())
    except ValueError:  # a GOST key: cryptography cannot open it
        opened = gost_keys.load_pkcs12(path.read_bytes(), password)
        return [opened.certificate_der, *opened.others]
    assert certificate is not None
    return [c.public_bytes(Encoding.DER) for c in (certificate, *others)]


def test_every_real_certificate_is_in_the_policys_profile(nca):
    certificates = every_certificate(nca)
    assert len(certificates) >= 30
    for name, certificate in certificates:
        algorithms.check_key(certificate.spki_der, NCA)
        assert certificate.problem(NCA, as_ca=certificate.is_ca) is None, name
        assert certificate.signature_oid in NCA.signatures, name


def test_every_real_ca_link_verifies(nca):
    for folder, (root_name, intermediate_name) in CHAINS.items():
        root = Certificate.from_pem_or_der((nca / folder / root_name).read_bytes())[0]
        intermediate = Certificate.from_pem_or_der((nca / folder / intermediate_name).read_bytes())[0]
        assert signed_by(root.tbs, root.signature_oid, root.signature, root), folder
        assert signed_by(intermediate.tbs, intermediate.signature_oid, intermediate.signature, root), folder


@pytest.mark.parametrize(("folder", "leaf"), [
    ("rsa", "individual_sign_valid_2021.pem"), ("rsa", "individual_sign_2022.pem"),
    ("rsa", "individual_auth_2022.pem"), ("gost2004", "ceo_sign_valid_2022.pem"),
    ("gost2015", "individual_valid_2022.pem"), ("gost2015", "individual_2023.pem"),
])
def test_every_real_leaf_links_to_its_intermediate(nca, folder, leaf):
    intermediate = Certificate.from_pem_or_der((nca / folder / CHAINS[folder][1]).read_bytes())[0]
    certificate = Certificate.from_pem_or_der((nca / folder / leaf).read_bytes())[0]
    assert signed_by(certificate.tbs, certificate.signature_oid, certificate.signature, intermediate)


def test_the_real_individual_certificates_carry_an_ascii_iin(nca):
    for folder, leaf in (("rsa", "individual_sign_2022.pem"), ("gost2015", "individual_valid_2022.pem")):
        certificate = Certificate.from_pem_or_der((nca / folder / leaf).read_bytes())[0]
        assert certificate.iin in ("123456789011", "123456789012")
