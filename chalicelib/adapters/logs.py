"""Structured JSON logs, one object a line. Callers pass only safe fields: never an IIN, a
secret, a token, a receipt or CMS bytes."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import TextIO

_configured = False


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if fields:
            entry.update(fields)
        else:
            entry["message"] = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is now (Lambda and test runners replace it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def configure() -> None:
    global _configured
    if _configured:
        return
    handler = _StdoutHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        # Lambda's bootstrap installs its own text handler; one JSON stream is enough.
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    logging.getLogger("pynamodb").setLevel(logging.WARNING)
    _configured = True


def event(logger: logging.Logger, name: str, level: int = logging.INFO, /, **fields: object) -> None:
    """One JSON line `{"event": name, **fields}`; `level` is positional, so no field can replace it."""
    logger.log(level, name, extra={"fields": {**fields, "event": name}})


def metric(logger: logging.Logger, name: str, value: float = 1, level: int = logging.INFO, /,
           **dimensions: str) -> None:
    """A CloudWatch metric as an Embedded Metric Format log line: no API call, no extra IAM."""
    fields: dict[str, object] = {
        "event": "metric",
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [{
                "Namespace": "Voting",
                "Dimensions": [sorted(dimensions)] if dimensions else [[]],
                "Metrics": [{"Name": name, "Unit": "Count"}],
            }],
        },
        name: value,
        **dimensions,
    }
    logger.log(level, name, extra={"fields": fields})
