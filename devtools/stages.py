"""Where the operator CLI (and the local stack) takes its configuration: a stage of
`.chalice/config.json` — `dev`, the local stack that `make run` serves, or `prod`, AWS — with the
shell's own settings over it.

The CLI goes to AWS only when told so (`--stage prod`, or `VOTING_STAGE=prod`): operators keep AWS
credentials in their shell, and a command meant for the local stack must never reach the real
tables by accident. Every message names the target it went to.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("dev", "prod")
DEFAULT_STAGE = "dev"  # the local stack
_FOLDERS = ("VOTING_TRUST_DIR", "VOTING_CRL_DIR", "VOTING_CRL_INDEX_DIR")  # relative to the project in config.json


class UnknownStage(ValueError):
    pass


def stage_variables(config: Mapping[str, Any], stage: str) -> dict[str, str]:
    """What Chalice sets on the stage's functions: the stage's environment variables over the
    project's (`config`: a parsed `.chalice/config.json`)."""
    return {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}


def stage_environment(stage: str) -> dict[str, str]:
    """The stage's environment variables as config.json sets them (its folders made absolute, so a
    command works from any directory); empty values left out, as the settings read them."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    if stage not in config["stages"]:
        raise UnknownStage(f"no stage {stage!r} in .chalice/config.json (stages: {', '.join(config['stages'])})")
    environment = stage_variables(config, stage)
    for name in _FOLDERS:
        if environment.get(name) and not Path(environment[name]).is_absolute():
            environment[name] = str(ROOT / environment[name])
    return {name: value for name, value in environment.items() if value != ""}


def _local_commission_key() -> dict[str, str]:
    """The local stack's commission key file (`make run` makes it), for evidence --open and audit."""
    key = ROOT / ".local" / "evidence" / "commission-private.pem"
    return {"VOTING_EVIDENCE_KEY_FILE": str(key)} if key.exists() else {}


@dataclass(frozen=True)
class Target:
    """The stage a CLI run works on and the environment it runs with."""

    stage: str
    environment: Mapping[str, str]

    @classmethod
    def resolve(cls, stage: str | None, endpoint: str | None, shell: Mapping[str, str]) -> Target:
        """`stage` (else the shell's VOTING_STAGE, else dev); the shell's settings over the stage's
        (an empty one does not count); `endpoint` over both."""
        chosen = stage or shell.get("VOTING_STAGE") or DEFAULT_STAGE
        if chosen not in STAGES:
            raise UnknownStage(f"unknown stage {chosen!r}: use dev (the local stack) or prod (AWS)")
        local = _local_commission_key() if chosen == DEFAULT_STAGE else {}
        environment = {**stage_environment(chosen), **local, **{k: v for k, v in shell.items() if v != ""}}
        if endpoint:
            environment["VOTING_DYNAMODB_ENDPOINT"] = endpoint
        return cls(chosen, environment)

    @property
    def endpoint(self) -> str | None:
        return self.environment.get("VOTING_DYNAMODB_ENDPOINT") or None

    @property
    def local(self) -> bool:
        host = urlsplit(self.endpoint or "").hostname or ""
        return host in ("127.0.0.1", "localhost", "::1")

    @property
    def table_prefix(self) -> str | None:
        """The tables' prefix; in AWS the stack's `TablePrefix` (`<stack>-`), which config.json cannot
        know, so the operator's shell names it."""
        return self.environment.get("VOTING_TABLE_PREFIX") or ("voting-dev-" if self.endpoint else None)

    def missing_setting(self) -> str | None:
        """What the target lacks to reach its tables: in AWS the shell must name the stack's tables
        (a guessed prefix would reach tables of another stack, or none)."""
        if self.table_prefix is None:
            return ("AWS needs the stack's tables: set VOTING_TABLE_PREFIX to the stack's TablePrefix, e.g. "
                    "`VOTING_TABLE_PREFIX=voting-prod- .venv/bin/python manage.py --stage prod ...`")
        return None

    def describe(self) -> str:
        """E.g. `the local stack (DynamoDB http://127.0.0.1:8001, tables voting-dev-*)` or
        `AWS eu-central-1 (stage prod, tables voting-prod-*)`."""
        tables = f"tables {self.table_prefix}*" if self.table_prefix else "no VOTING_TABLE_PREFIX"
        if self.endpoint is None:
            region = self.environment.get("AWS_REGION") or self.environment.get("AWS_DEFAULT_REGION") or "us-east-1"
            return f"AWS {region} (stage {self.stage}, {tables})"
        where = "the local stack" if self.local else "DynamoDB"
        return f"{where} (DynamoDB {self.endpoint}, {tables})"

    def unreachable_hint(self) -> str:
        """What to do when the storage does not answer."""
        if self.local:
            return "is the local stack running? start it with `make run` (or choose AWS with --stage prod)"
        if self.endpoint is None:
            return "check the AWS credentials, the region and the network, then run the command again"
        return "check that the DynamoDB endpoint answers, then run the command again"
