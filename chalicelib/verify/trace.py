"""The steps of one verification and the time each took, for the request's log line and metrics.

The verifier records into a `Trace` per verification and leaves the last one of this context
(thread or task) where the caller's adapter can read it (`last()`) without the services in
between passing it along. A trace holds step names, milliseconds and the permitted algorithm's
name only: nothing about the signer.
"""

from __future__ import annotations

from contextvars import ContextVar
from time import perf_counter

ACCEPTED = "accepted"  # the step that decided, when every step passed


class Trace:
    __slots__ = ("_marks", "algorithm", "decided", "signature_checks")

    def __init__(self, first: str) -> None:
        self._marks: list[tuple[str, float]] = [(first, perf_counter())]
        self.decided = ""
        self.signature_checks = 0
        self.algorithm = ""  # the signer's, once the policy has permitted it (e.g. 'RSA/SHA-256')

    @property
    def current(self) -> str:
        return self._marks[-1][0]

    def step(self, name: str) -> None:
        """The step `name` starts now; the current one ends (a mark only: sums come when read)."""
        self._marks.append((name, perf_counter()))

    def finish(self, accepted: bool) -> None:
        """The current step decided: it refused, or (`accepted`) every step passed."""
        self.decided = ACCEPTED if accepted else self.current
        self._marks.append(("", perf_counter()))

    @property
    def milliseconds(self) -> dict[str, float]:
        """Each step's time, in the order the steps first ran."""
        spent: dict[str, float] = {}
        for (name, start), (_, end) in zip(self._marks, self._marks[1:], strict=False):
            spent[name] = spent.get(name, 0.0) + (end - start) * 1000
        return spent

    def fields(self) -> dict[str, object]:
        """What the request's log line carries."""
        fields: dict[str, object] = {"verify_step": self.decided,
                                     "verify_ms": {name: round(ms, 3) for name, ms in self.milliseconds.items()},
                                     "signature_checks": self.signature_checks}
        if self.algorithm:
            fields["algorithm"] = self.algorithm
        return fields


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
