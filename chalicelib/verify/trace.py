"""The steps of one verification and the time each took, for the request's log line.

The verifier records into a `Trace` per verification and leaves the last one of this context
(thread or task) where the caller's adapter can read it (`last()`) without the services in
between passing it along. A trace holds step names and milliseconds only: nothing about the
signer.
"""

from __future__ import annotations

from contextvars import ContextVar
from time import perf_counter

ACCEPTED = "accepted"  # the step that decided, when every step passed


class Trace:
    __slots__ = ("_mark", "current", "decided", "milliseconds", "signature_checks")

    def __init__(self, first: str) -> None:
        self.current = first
        self.decided = ""
        self.milliseconds: dict[str, float] = {}
        self.signature_checks = 0
        self._mark = perf_counter()

    def step(self, name: str) -> None:
        """The step `name` starts now; the current one ends."""
        now = perf_counter()
        self.milliseconds[self.current] = self.milliseconds.get(self.current, 0.0) + (now - self._mark) * 1000
        self.current, self._mark = name, now

    def finish(self, accepted: bool) -> None:
        """The current step decided: it refused, or (`accepted`) every step passed."""
        self.step(self.current)
        self.decided = ACCEPTED if accepted else self.current

    def fields(self) -> dict[str, object]:
        """What the request's log line carries."""
        return {"verify_step": self.decided,
                "verify_ms": {name: round(ms, 3) for name, ms in self.milliseconds.items()},
                "signature_checks": self.signature_checks}


_last: ContextVar[Trace | None] = ContextVar("verification_trace", default=None)


def start(first: str) -> Trace:
    trace = Trace(first)
    _last.set(trace)
    return trace


def last() -> Trace | None:
    """The trace of the last verification in this context, if any."""
    return _last.get()


def forget() -> None:
    """Before a request: no trace of an earlier one is reported with it."""
    _last.set(None)
