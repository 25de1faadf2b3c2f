"""X-Ray subsegments and annotations through Powertools for AWS Lambda's Tracer, where it pays.

In prod every function and the API stage have X-Ray's active tracing (the template): Lambda
records each invocation — initialisation, the handler, the overhead — with no SDK in the function.
The Tracer adds a subsegment per entry point with annotations to search by (action, decision,
refusal code) and one per AWS call, but it needs the X-Ray SDK, whose import builds two botocore
clients: about 200 ms more on every cold start (BENCHMARKS.md, "Cold start"). So a function builds
it only when its `VOTING_TRACING` is `on`: the template turns it on for the closer and the CRL
refresher, whose runs are long and rare, and leaves it off on the vote, admin and authorizer
functions, where cold starts come by the hundred when voting opens.

Annotations and metadata carry the same safe words as the logs: never an IIN, a name, a serial, a
token, a session id or a receipt.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.logs import SERVICE
from chalicelib.settings import Telemetry

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

Annotate = Callable[[str, Any], None]  # key, then a str, a number or a bool

_tracer: Tracer | None = None
_built = False
_lock = threading.Lock()


def tracer() -> Tracer | None:
    """The process's Tracer, built on first use where tracing is on; None elsewhere."""
    global _tracer, _built
    with _lock:
        if not _built:
            _built = True
            if Telemetry.from_environment().tracing:
                from aws_lambda_powertools import Tracer

                _tracer = Tracer(service=SERVICE)  # patches botocore: a subsegment per AWS call
        return _tracer


def _ignore(_key: str, _value: Any) -> None:
    pass


@contextmanager
def subsegment(name: str) -> Iterator[Annotate]:
    """`## name` in this invocation's trace; yields what adds an annotation to it (nothing is
    recorded where the Tracer is off)."""
    built = tracer()
    if built is None:
        yield _ignore
        return
    with built.provider.in_subsegment(f"## {name}") as segment:
        yield segment.put_annotation
