"""Verification of Kazakh digital signatures (ЭЦП, NCA RK): CMS SignedData as NCALayer, eGov mobile
and Kalkan make it, X.509 certificates and the NCA profile, RSA / ECDSA / GOST algorithms, trust
paths, revocation lists and their refresh.

Nothing here knows about votes, HTTP or AWS; it could be published as a library of its own. The
entry point is `signature.SignatureVerifier`; what it accepts is `policy.NCA` (data); every
refusal is a `failures.VerificationError`, and each verification leaves a `trace` of its steps.
`der` is the small DER reader the CMS reader (and a CRL reader) walks bytes with.
Modules are imported by name (`from chalicelib.verify.signature import ...`), so a cold start
loads only what it uses.
"""
