"""What a valid signature is, as data: the one verification policy and its two end-entity profiles.

Every check of the verifier reads its limits and sets from a `Policy` (the model is pyca/
cryptography's x509 verification policy). `NCA` is the profile of the NCA RK's certificates as
they are issued — checked against every real certificate and key in `../shared/nca-test-pki`
(README, "Verification policy"): RSA keys of 2048 bits (citizens) and 4096 bits (CAs), always
with the public exponent 65537; GOST 34.10-2015/512 on paramSetA and GOST 34.310-2004 on
CryptoPro-A; keyUsage critical everywhere, basicConstraints critical on CAs, every other
extension non-critical; paths of three certificates.

The limits bound the work a hostile request can cause (sizes before parsing or hashing, key
sizes before any public-key operation, a budget of signature verifications per request, the
depth of a path); the extension sets say which critical extensions are understood (RFC 5280
4.2: a certificate with any other critical extension is refused).

CRLs (`verify/crl.py`, read by the refresher only) have their own part: the largest CRL and the
most entries read, the longest serial, and which CRL and entry extensions are understood (RFC
5280 5.2, 5.3) or refused because they would change what the list covers.
"""

from __future__ import annotations

from dataclasses import dataclass

# The named steps of one verification, in their order; the request's log line names the one
# that decided and the time of each (verify/trace.py).
SHAPE = "shape"  # the CMS read within its limits: one signer, content, certificates, attributes
ALGORITHMS = "algorithms"  # digest and signature algorithms permitted, the signer's key in profile
PATH = "path"  # RFC 5280 rules, validity and every link's signature up to a trust anchor
DIGEST = "digest"  # messageDigest = hash(content)
SIGNATURE = "signature"  # the signer's signature over the signed attributes
REVOCATION = "revocation"  # no certificate of the path revoked
PROFILE = "profile"  # the end-entity profile (voter: an individual's SIGN key with an IIN)
STEPS = (SHAPE, ALGORITHMS, PATH, DIGEST, SIGNATURE, REVOCATION, PROFILE)

SHA256, SHA384, SHA512 = "2.16.840.1.101.3.4.2.1", "2.16.840.1.101.3.4.2.2", "2.16.840.1.101.3.4.2.3"
STREEBOG_512, GOST_34311 = "1.2.398.3.10.1.3.3", "1.2.398.3.10.1.3.1"
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
SHA256_RSA, SHA384_RSA, SHA512_RSA = "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13"
EC_PUBLIC_KEY = "1.2.840.10045.2.1"
SHA256_ECDSA, SHA384_ECDSA, SHA512_ECDSA = "1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4"
P256, P384 = "1.2.840.10045.3.1.7", "1.3.132.0.34"
GOST2015_512_KEY, GOST2015_512_SIGNATURE = "1.2.398.3.10.1.1.2.2", "1.2.398.3.10.1.1.2.3.2"
GOST2004_KEY, GOST2004_SIGNATURE = "1.2.398.3.10.1.1.1.1", "1.2.398.3.10.1.1.1.2"
GOST2015_512_PARAMSET_A, GOST2004_CRYPTOPRO_A = "1.2.398.3.10.1.1.2.2.1", "1.2.398.3.10.1.1.1.1.1"

BASIC_CONSTRAINTS, KEY_USAGE, EXTENDED_KEY_USAGE = "2.5.29.19", "2.5.29.15", "2.5.29.37"
SUBJECT_KEY_IDENTIFIER, AUTHORITY_KEY_IDENTIFIER = "2.5.29.14", "2.5.29.35"
SUBJECT_ALT_NAME, CERTIFICATE_POLICIES = "2.5.29.17", "2.5.29.32"
NAME_CONSTRAINTS, POLICY_CONSTRAINTS = "2.5.29.30", "2.5.29.36"
POLICY_MAPPINGS, INHIBIT_ANY_POLICY = "2.5.29.33", "2.5.29.54"
# CRL extensions (RFC 5280 5.2) and CRL entry extensions (5.3).
CRL_NUMBER, DELTA_CRL_INDICATOR, ISSUING_DISTRIBUTION_POINT = "2.5.29.20", "2.5.29.27", "2.5.29.28"
FRESHEST_CRL, CRL_DISTRIBUTION_POINTS = "2.5.29.46", "2.5.29.31"
REASON_CODE, INVALIDITY_DATE, CERTIFICATE_ISSUER = "2.5.29.21", "2.5.29.24", "2.5.29.29"


@dataclass(frozen=True)
class EndEntityProfile:
    """Who may sign: what the signer's own certificate must say beyond a valid path."""

    name: str
    signing_key: bool  # keyUsage digitalSignature or nonRepudiation AND the EKU of a SIGN key
    individual: bool  # the individual's EKU, no legal-entity EKU, no BIN
    iin: bool  # serialNumber=IIN<12 ASCII digits>


# A citizen's ballot: an individual's SIGN key with an IIN (NCALayer's filter for the vote).
VOTER = EndEntityProfile("voter", signing_key=True, individual=True, iin=True)
# The commission's sign-in: any NCA key that may sign (AUTH keys too); whether its IIN is listed
# is the admin service's question (a missing IIN is its `forbidden`).
ADMIN = EndEntityProfile("admin", signing_key=False, individual=False, iin=False)
# A citizen asking for their own receipt: any key of an individual with an IIN (a sign-in key too;
# never an organisation's: a receipt is a person's own).
PERSON = EndEntityProfile("person", signing_key=False, individual=True, iin=True)


@dataclass(frozen=True)
class Policy:
    # Algorithms: digests, signature algorithms (with the key algorithms they go with).
    digests: frozenset[str]
    signatures: dict[str, str]  # signature algorithm OID -> the public key algorithm it needs
    # Keys: RSA modulus range and public exponents, EC curves, GOST parameter sets per key OID.
    rsa_bits: tuple[int, int]
    rsa_exponents: frozenset[int]
    ec_curves: frozenset[str]
    gost_parameters: dict[str, frozenset[str]]
    # Bounded work: sizes before parsing or hashing, certificates, path depth, public-key operations.
    max_cms_bytes: int
    max_content_bytes: int
    max_signed_attributes_bytes: int
    max_certificates: int
    max_certificate_bytes: int
    max_path_length: int  # certificates from the signer's to the anchor, both included
    max_candidates: int  # issuers tried for one link
    max_signature_checks: int  # public-key operations for one signer: its signature and the links
    # RFC 5280 4.2: critical extensions this verifier processes; any other critical one is refused.
    understood_critical: frozenset[str]
    # Extensions whose rules this verifier does not enforce: a certificate carrying one is refused.
    refused_extensions: frozenset[str]
    # CRLs: bounded work for the refresher, and what a CRL may say.
    max_crl_bytes: int
    max_crl_entries: int
    max_serial_bytes: int  # a serial's magnitude; RFC 5280 allows 20 octets, the certificate parser 21
    understood_critical_crl: frozenset[str]  # CRL extensions processed when critical
    understood_critical_crl_entry: frozenset[str]
    # A CRL that covers only part of its CA's certificates (issuingDistributionPoint) or lists another
    # CA's (an indirect CRL's certificateIssuer) would be read as complete: refused.
    refused_crl_extensions: frozenset[str]


NCA = Policy(
    digests=frozenset({SHA256, SHA384, SHA512, STREEBOG_512, GOST_34311}),
    signatures={
        SHA256_RSA: RSA_ENCRYPTION, SHA384_RSA: RSA_ENCRYPTION, SHA512_RSA: RSA_ENCRYPTION,
        RSA_ENCRYPTION: RSA_ENCRYPTION,  # the hash then comes from the CMS digestAlgorithm
        SHA256_ECDSA: EC_PUBLIC_KEY, SHA384_ECDSA: EC_PUBLIC_KEY, SHA512_ECDSA: EC_PUBLIC_KEY,
        GOST2015_512_SIGNATURE: GOST2015_512_KEY, GOST2015_512_KEY: GOST2015_512_KEY,
        GOST2004_SIGNATURE: GOST2004_KEY, GOST2004_KEY: GOST2004_KEY,
    },
    rsa_bits=(2048, 4096),
    rsa_exponents=frozenset({65537}),
    ec_curves=frozenset({P256, P384}),
    gost_parameters={
        GOST2015_512_KEY: frozenset({GOST2015_512_PARAMSET_A}),
        GOST2004_KEY: frozenset({GOST2004_CRYPTOPRO_A}),
    },
    max_cms_bytes=48 * 1024,  # what a 64 KiB body of base64 can hold
    max_content_bytes=4096,  # a ballot or a sign-in document; checked before it is hashed
    max_signed_attributes_bytes=2048,
    max_certificates=10,  # NCALayer sends the signer's certificate, sometimes with its chain
    max_certificate_bytes=8192,  # NCA certificates are under 2 KB; checked before a tbs is hashed
    max_path_length=5,  # NCA paths have three
    max_candidates=4,
    max_signature_checks=6,  # an NCA vote needs two or three (the CA links are cached)
    understood_critical=frozenset({BASIC_CONSTRAINTS, KEY_USAGE, EXTENDED_KEY_USAGE, SUBJECT_KEY_IDENTIFIER,
                                   AUTHORITY_KEY_IDENTIFIER, SUBJECT_ALT_NAME, CERTIFICATE_POLICIES}),
    refused_extensions=frozenset({NAME_CONSTRAINTS, POLICY_CONSTRAINTS, POLICY_MAPPINGS, INHIBIT_ANY_POLICY}),
    max_crl_bytes=64 * 1024 * 1024,  # national CRLs are tens of MB (10^6 entries: about 40 MB)
    max_crl_entries=4_000_000,
    max_serial_bytes=21,
    understood_critical_crl=frozenset({CRL_NUMBER, DELTA_CRL_INDICATOR, AUTHORITY_KEY_IDENTIFIER}),
    understood_critical_crl_entry=frozenset({REASON_CODE, INVALIDITY_DATE}),
    refused_crl_extensions=frozenset({ISSUING_DISTRIBUTION_POINT, CERTIFICATE_ISSUER}),
)
