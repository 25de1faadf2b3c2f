"""Configuration from the environment (names fixed by DESIGN.md), read once per process."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta


class ConfigurationError(RuntimeError):
    """A setting is missing or wrong; the text names it."""


@dataclass(frozen=True)
class Settings:
    table_prefix: str
    trust_dir: str
    secret: str = field(repr=False)
    dynamodb_endpoint: str | None = None
    crl_dir: str | None = None
    admin_iins: frozenset[str] = field(default_factory=frozenset, repr=False)
    region: str = "us-east-1"
    crl_tolerance: timedelta = timedelta(hours=24)
    contest_cache_seconds: float = 5.0
    crl_urls: tuple[str, ...] = ()
    crl_bucket: str | None = None
    crl_prefix: str = "crl/"
    crl_cache_seconds: float = 300.0

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, require_secret: bool = True) -> Settings:
        """`require_secret=False` is for jobs that never touch tokens or voters (the CRL refresh),
        so their role needs no access to the secret."""
        env = os.environ if environ is None else environ
        secret = ""
        if require_secret:
            secret = env.get("VOTING_SECRET") or _secret_from_ssm(env.get("VOTING_SECRET_PARAM")) or ""
        if require_secret and not secret:
            raise ConfigurationError("VOTING_SECRET (or VOTING_SECRET_PARAM) is not set")
        trust_dir = env.get("VOTING_TRUST_DIR")
        if not trust_dir:
            raise ConfigurationError("VOTING_TRUST_DIR is not set")
        admins = frozenset(i.strip() for i in env.get("VOTING_ADMIN_IINS", "").split(",") if i.strip())
        if any(not (len(i) == 12 and i.isdigit()) for i in admins):
            raise ConfigurationError("VOTING_ADMIN_IINS must be 12-digit IINs separated by commas")
        try:
            tolerance = timedelta(hours=float(env.get("VOTING_CRL_TOLERANCE_HOURS", "24")))
        except ValueError:
            raise ConfigurationError("VOTING_CRL_TOLERANCE_HOURS must be a number") from None
        try:
            crl_cache = float(env.get("VOTING_CRL_CACHE_SECONDS", "300"))
        except ValueError:
            raise ConfigurationError("VOTING_CRL_CACHE_SECONDS must be a number") from None
        location = StorageLocation.from_environment(env)
        return cls(
            table_prefix=location.table_prefix,
            trust_dir=trust_dir,
            secret=secret,
            dynamodb_endpoint=location.endpoint,
            crl_dir=env.get("VOTING_CRL_DIR") or None,
            admin_iins=admins,
            region=location.region,
            crl_tolerance=tolerance,
            crl_urls=tuple(u.strip() for u in env.get("VOTING_CRL_URLS", "").split(",") if u.strip()),
            crl_bucket=env.get("VOTING_CRL_BUCKET") or None,
            crl_prefix=env.get("VOTING_CRL_PREFIX", "crl/"),
            crl_cache_seconds=crl_cache,
        )


@dataclass(frozen=True)
class StorageLocation:
    table_prefix: str
    endpoint: str | None
    region: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> StorageLocation:
        env = os.environ if environ is None else environ
        return cls(
            table_prefix=env.get("VOTING_TABLE_PREFIX", "voting-dev-"),
            endpoint=env.get("VOTING_DYNAMODB_ENDPOINT") or None,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        )


def _secret_from_ssm(name: str | None) -> str | None:
    if not name:
        return None
    import boto3  # only in AWS, where the secret lives in SSM

    response = boto3.client("ssm").get_parameter(Name=name, WithDecryption=True)
    return response["Parameter"]["Value"]
