"""The service's configuration: every environment variable (names fixed by DESIGN.md), read and
checked once per process by `Settings.from_environment`. Nothing else reads the environment.

A setting that is missing or wrong raises `ConfigurationError` naming it: the one error type for
configuration, wherever it is found (here, in the trust folder, in the secret).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from chalicelib.verify.revocation import DEFAULT_TOLERANCE as CRL_TOLERANCE
from chalicelib.voting.contest_cache import CONTEST_CACHE_SECONDS
from chalicelib.voting.egov_mobile import Organisation
from chalicelib.voting.keys import MIN_SECRET_BYTES

HOUR = timedelta(hours=1)

DEFAULT_NCALAYER_URL = "wss://127.0.0.1:13579"  # the real NCALayer on the citizen's computer
# Only what a WebSocket address to NCALayer needs: no spaces, quotes, ';' or ',' that could break
# out of the Content-Security-Policy header or the page's <meta> attribute.
_NCALAYER_URL = re.compile(r"wss?://[A-Za-z0-9.\-\[\]:]+(?::\d{1,5})?(?:/[A-Za-z0-9._~/\-]*)?")
# The API's public address, the base of eGov mobile's API 1/API 2 URLs (it goes into QR codes and
# links): https with a host name, an optional port and path (the stage prefix); no query, no
# fragment. Plain http only for this machine, where the eGov mobile stand-in runs.
_PUBLIC_URL = re.compile(r"https://[A-Za-z0-9.\-]+(?::\d{1,5})?(?:/[A-Za-z0-9._~\-]+)*/?")
_LOCAL_URL = re.compile(r"http://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?(?:/[A-Za-z0-9._~\-]+)*/?")
_ORGANISATION_KEYS = {"nameRu": "name_ru", "nameKz": "name_kz", "nameEn": "name_en", "bin": "bin"}
# A stage's name as metrics carry it (their one dimension) and alarms look it up: the stack's name.
_STAGE = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
LOCAL_STAGE = "local"


# Secrets written in this repository — the dev stage's in .chalice/config.json, the tests' — are
# public: with one, anybody forges challenges, receipts and admin sessions offline. Each works on
# the local stack only (`Settings.local_stack`), never in AWS.
DEVELOPMENT_SECRETS = frozenset({
    "development-only-secret-not-for-production-use-0001",
    "test-secret-that-is-long-enough-for-hmac-keys-0123456789",
})
_LOOPBACK = re.compile(r"https?://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?/?")


class ConfigurationError(RuntimeError):
    """A setting is missing or wrong; the text names it and says what is expected."""


@dataclass(frozen=True)
class Settings:
    # Storage
    table_prefix: str = "voting-dev-"
    dynamodb_endpoint: str | None = None  # a local DynamoDB-compatible server; None in AWS
    region: str = "us-east-1"
    in_lambda: bool = False  # AWS_LAMBDA_FUNCTION_NAME is set: this runs in AWS, whatever else says
    # Trust and revocation
    trust_dir: str | None = None
    crl_dir: str | None = None
    crl_index_dir: str | None = None  # where the local refresher writes the indexes votes read
    crl_optional: frozenset[bytes] = frozenset()  # CA fingerprints whose signers may vote without a CRL
    crl_tolerance: timedelta = CRL_TOLERANCE
    crl_cache_seconds: float = 300.0
    crl_urls: tuple[str, ...] = ()
    crl_bucket: str | None = None
    crl_prefix: str = "crl/"
    # The server secret: given directly (local stack, tests) or named in SSM (AWS)
    secret: str | None = field(default=None, repr=False)
    secret_parameter: str | None = None
    admin_iins: frozenset[str] = field(default_factory=frozenset, repr=False)
    # Sealed evidence: the vote path seals to the commission's public key (PEM); the commission's
    # tools open with its private key, in KMS (AWS) or in a key file (locally)
    evidence_public_key: str | None = None
    evidence_kms_key: str | None = None
    evidence_key_file: str | None = None
    evidence_key_passphrase: str | None = field(default=None, repr=False)
    # Pages
    ncalayer_url: str = DEFAULT_NCALAYER_URL
    # eGov mobile: on when both are set
    public_url: str | None = None
    organisation: Organisation | None = None
    # Closing and tallies
    close_grace: timedelta = timedelta(minutes=2)
    tally_workers: int = 8
    contest_cache_seconds: float = CONTEST_CACHE_SECONDS  # how old a process's copy of a contest may be

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        endpoint = env.get("VOTING_DYNAMODB_ENDPOINT") or None
        in_lambda = bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))
        secret = env.get("VOTING_SECRET") or None
        if secret is not None:
            check_secret(secret, local_stack=_is_local(endpoint, in_lambda))
        admins = frozenset(i.strip() for i in env.get("VOTING_ADMIN_IINS", "").split(",") if i.strip())
        if any(not (len(i) == 12 and i.isascii() and i.isdigit()) for i in admins):
            raise ConfigurationError("VOTING_ADMIN_IINS must be 12-digit IINs separated by commas")
        ncalayer = (env.get("VOTING_NCALAYER_URL") or "").strip() or DEFAULT_NCALAYER_URL
        if not _NCALAYER_URL.fullmatch(ncalayer):
            raise ConfigurationError("VOTING_NCALAYER_URL must be a ws:// or wss:// address, e.g. wss://127.0.0.1:13579")
        kms_key = (env.get("VOTING_EVIDENCE_KMS_KEY") or "").strip() or None
        key_file = (env.get("VOTING_EVIDENCE_KEY_FILE") or "").strip() or None
        if kms_key and key_file:
            raise ConfigurationError("set VOTING_EVIDENCE_KMS_KEY (AWS) or VOTING_EVIDENCE_KEY_FILE (a key file), "
                                     "not both: the commission's key is in one place")
        public_url = _public_url(env.get("VOTING_PUBLIC_URL", ""))
        organisation = _organisation(env.get("VOTING_ORGANISATION", ""))
        if public_url is not None and organisation is None:
            raise ConfigurationError("VOTING_ORGANISATION must be set with VOTING_PUBLIC_URL: eGov mobile shows "
                                     'who asks for the signature ({"nameRu", "nameKz", "nameEn", "bin"})')
        grace = _number(env, "VOTING_CLOSE_GRACE_SECONDS", 120.0)
        workers = int(_number(env, "VOTING_TALLY_WORKERS", 8))
        if grace <= 0:
            raise ConfigurationError("VOTING_CLOSE_GRACE_SECONDS must be positive")
        if not 1 <= workers <= 64:
            raise ConfigurationError("VOTING_TALLY_WORKERS must be within 1..64")
        return cls(
            table_prefix=env.get("VOTING_TABLE_PREFIX", "voting-dev-"),
            dynamodb_endpoint=endpoint,
            in_lambda=in_lambda,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            trust_dir=env.get("VOTING_TRUST_DIR") or None,
            crl_dir=env.get("VOTING_CRL_DIR") or None,
            crl_index_dir=env.get("VOTING_CRL_INDEX_DIR") or None,
            crl_optional=_fingerprints(env.get("VOTING_CRL_OPTIONAL", "")),
            crl_tolerance=timedelta(hours=_number(env, "VOTING_CRL_TOLERANCE_HOURS", CRL_TOLERANCE / HOUR)),
            crl_cache_seconds=_number(env, "VOTING_CRL_CACHE_SECONDS", 300.0),
            crl_urls=tuple(u.strip() for u in env.get("VOTING_CRL_URLS", "").split(",") if u.strip()),
            crl_bucket=env.get("VOTING_CRL_BUCKET") or None,
            crl_prefix=env.get("VOTING_CRL_PREFIX", "crl/"),
            secret=secret,
            secret_parameter=env.get("VOTING_SECRET_PARAM") or None,
            admin_iins=admins,
            # A PEM in one line (some deploy tools cannot set newlines) may spell them as a backslash and n.
            evidence_public_key=(env.get("VOTING_EVIDENCE_KEY") or "").replace("\\n", "\n").strip() or None,
            evidence_kms_key=kms_key,
            evidence_key_file=key_file,
            evidence_key_passphrase=env.get("VOTING_EVIDENCE_KEY_PASSPHRASE") or None,
            ncalayer_url=ncalayer,
            public_url=public_url,
            organisation=organisation,
            close_grace=timedelta(seconds=grace),
            tally_workers=workers,
        )

    @property
    def mobile_signing(self) -> bool:
        """eGov mobile signing is offered: the API knows its public address and who it is."""
        return self.public_url is not None and self.organisation is not None

    @property
    def local_stack(self) -> bool:
        """The local stack (or a test): storage on this machine's loopback, and not in AWS Lambda."""
        return _is_local(self.dynamodb_endpoint, self.in_lambda)

    def required_trust_dir(self) -> str:
        if not self.trust_dir:
            raise ConfigurationError("VOTING_TRUST_DIR is not set (the folder of trusted CA certificates)")
        return self.trust_dir


@dataclass(frozen=True)
class Telemetry:
    """What logs, metrics and traces need, read apart from `Settings` and never refused: a stage
    whose other settings are wrong must still log that and count its 503s.

    - `VOTING_STACK`: the name every log line and metric carries (the metrics' `stage` dimension):
      in AWS the template sets the stack's name; `local` when unset (or not a name).
    - `VOTING_TRACING`: `on` builds Powertools' Tracer (the X-Ray SDK) in this function; the
      template turns it on for the scheduled functions only (README, "Election-day operations")."""

    stage: str = LOCAL_STAGE
    tracing: bool = False

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Telemetry:
        env = os.environ if environ is None else environ
        stage = (env.get("VOTING_STACK") or "").strip()
        return cls(stage=stage if _STAGE.fullmatch(stage) else LOCAL_STAGE,
                   tracing=(env.get("VOTING_TRACING") or "").strip().lower() == "on")


def check_secret(secret: str, local_stack: bool) -> str:
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigurationError(f"VOTING_SECRET must be at least {MIN_SECRET_BYTES} bytes")
    if secret in DEVELOPMENT_SECRETS and not local_stack:
        raise ConfigurationError("VOTING_SECRET is a development secret published in the repository: it works on "
                                 "the local stack only; give this stage its own (SSM, VOTING_SECRET_PARAM)")
    return secret


def _public_url(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    if not (_PUBLIC_URL.fullmatch(text) or _LOCAL_URL.fullmatch(text)):
        raise ConfigurationError("VOTING_PUBLIC_URL must be the API's public https address with the stage prefix, "
                                 "e.g. https://abc123.execute-api.eu-central-1.amazonaws.com/api "
                                 "(http only for 127.0.0.1 or localhost)")
    return text.rstrip("/")


def _organisation(text: str) -> Organisation | None:
    if not text.strip():
        return None
    try:
        document = json.loads(text)
    except ValueError:
        raise ConfigurationError("VOTING_ORGANISATION must be JSON: "
                                 '{"nameRu": ..., "nameKz": ..., "nameEn": ..., "bin": "<12 digits>"}') from None
    if not isinstance(document, dict) or set(document) != set(_ORGANISATION_KEYS):
        raise ConfigurationError('VOTING_ORGANISATION must have exactly "nameRu", "nameKz", "nameEn" and "bin"')
    for name, value in document.items():
        if not isinstance(value, str) or not value.strip() or len(value) > 300:
            raise ConfigurationError(f"VOTING_ORGANISATION.{name} must be a non-empty text")
    if not (len(document["bin"]) == 12 and document["bin"].isascii() and document["bin"].isdigit()):
        raise ConfigurationError("VOTING_ORGANISATION.bin must be the organisation's 12-digit BIN")
    return Organisation(**{field_name: document[key].strip() for key, field_name in _ORGANISATION_KEYS.items()})


def _is_local(endpoint: str | None, in_lambda: bool) -> bool:
    return endpoint is not None and not in_lambda and _LOOPBACK.fullmatch(endpoint.strip()) is not None


def _fingerprints(text: str) -> frozenset[bytes]:
    """VOTING_CRL_OPTIONAL: SHA-256 fingerprints (hex of the CA certificate's DER), comma-separated,
    case and colons ignored."""
    found = set()
    for part in text.split(","):
        cleaned = part.strip().replace(":", "").lower()
        if not cleaned:
            continue
        if not re.fullmatch(r"[0-9a-f]{64}", cleaned):
            raise ConfigurationError("VOTING_CRL_OPTIONAL must be SHA-256 fingerprints of CA certificates (64 hex "
                                     f"digits each, colons allowed), separated by commas, not {part.strip()[:80]!r}")
        found.add(bytes.fromhex(cleaned))
    return frozenset(found)


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if text is None or not text.strip():
        return default
    try:
        return float(text)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {text[:40]!r}") from None
