"""Structured JSON logs, one object a line, through Powertools for AWS Lambda's Logger: its
formatter (level, location, UTC time, the service and the stage, and inside a Lambda invocation
the function, its request id, `cold_start`, the API's request id as `correlation_id` and the X-Ray
trace id). Callers pass only safe fields: never an IIN, a name, a certificate serial, a secret, a
token, a session id, a receipt or CMS bytes."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from aws_lambda_powertools import Logger

from chalicelib.settings import Telemetry

SERVICE = "voting"


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is now (Lambda and test runners replace it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def _build() -> Logger:
    built = Logger(service=SERVICE, level=logging.INFO, logger_handler=_StdoutHandler(), utc=True, use_rfc3339=True,
                   stage=Telemetry.from_environment().stage)
    # The service's own lines leave through its handler only; every other logger's (botocore, the
    # verifier's) through the root's, with the same formatter, so each line is one JSON object.
    logging.getLogger(SERVICE).propagate = False
    root = logging.getLogger()
    for existing in list(root.handlers):  # Lambda's bootstrap installs a text handler of its own
        root.removeHandler(existing)
    handler = _StdoutHandler()
    handler.setFormatter(built.registered_formatter)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    logging.getLogger("pynamodb").setLevel(logging.WARNING)
    return built


logger = _build()
_service_log = logging.getLogger(SERVICE)  # the stdlib logger under it (Powertools' has no `log`)


def event(name: str, level: int = logging.INFO, /, **fields: object) -> None:
    """One JSON line `{"message": name, "event": name, **fields}`; `level` is positional, so no
    field can replace it. Fields that are None are left out."""
    _service_log.log(level, name, extra={**fields, "event": name}, stacklevel=2)
