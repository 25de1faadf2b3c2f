"""Verification of Kazakh GOST signatures (NCA RK), pure Python, standard library only.

Supported: GOST 34.10-2015/512 with Streebog-512 (the NCA's current GOST keys) and
GOST 34.310-2004 with GOST 34.311-95 (older keys).  GOST 34.10-2015/256 is recognised and
refused.  Verification only: nothing here signs or handles private keys.

    from chalicelib.verify.gost import verify
    ok = verify(issuer_spki_der, cert_signature_oid, tbs_bytes, signature_bytes)
"""

from .signature import (
    GOST_DIGEST_OIDS,
    GOST_KEY_OIDS,
    GOST_SIGNATURE_OIDS,
    GostError,
    UnsupportedGostAlgorithm,
    digest,
    is_gost_oid,
    verify,
)

__all__ = [
    "GOST_DIGEST_OIDS",
    "GOST_KEY_OIDS",
    "GOST_SIGNATURE_OIDS",
    "GostError",
    "UnsupportedGostAlgorithm",
    "digest",
    "is_gost_oid",
    "verify",
]
