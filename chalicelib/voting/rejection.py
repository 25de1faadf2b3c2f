"""Every way the service refuses a request: the contract's codes, their HTTP status, and people's
words for each (a title and a message, in kk, ru and en) in `rejections.json`, the one catalogue
that the server answers from and both pages read. A route never invents a code, and every code says
what to do next.

A refusal of a file (the finalists' spreadsheet) also lists its `problems`, each a kind from the
catalogue's `problems` with its values (a line, a column), said in the caller's language.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.verify import failures
from chalicelib.verify.failures import Refusal, VerificationError
from chalicelib.voting.languages import DEFAULT_LANGUAGE, LANGUAGES, in_language

CATALOGUE_FILE = Path(__file__).with_name("rejections.json")
_FILE: dict[str, Any] = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
_CATALOGUE: dict[str, dict[str, Any]] = _FILE["codes"]
_PROBLEMS: dict[str, dict[str, str]] = _FILE["problems"]
CODES = frozenset(_CATALOGUE)
PROBLEMS = frozenset(_PROBLEMS)

# The verifier's codes that the contract names otherwise; the rest keep their name.
_FROM_VERIFICATION = {
    failures.MALFORMED: "malformed_request",
    failures.REVOCATION_UNAVAILABLE: "unavailable",  # revocation cannot be checked now: retry later
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an uploaded file: a kind of the catalogue's `problems`, the line it is
    on (None for the whole file) and the values its words name."""

    kind: str
    line: int | None = None
    values: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in PROBLEMS:
            raise ValueError(f"unknown problem kind {self.kind!r}")

    def text(self, language: str = "en") -> str:
        said = in_language(_PROBLEMS[self.kind], language)
        said = said.format(**{name: str(value) for name, value in self.values.items()})
        if self.line is None:
            return said
        where = in_language(_PROBLEMS["line"], language)
        return where.format(line=self.line, problem=said)


class Rejection(Refusal):
    """A refusal with a contract code. `detail` is for logs and operators: it never carries an IIN,
    a name, a secret or a token. `problems`: what is wrong with a refused file, item by item."""

    codes = CODES

    def __init__(self, code: str, detail: str = "", problems: Sequence[Problem] = ()) -> None:
        super().__init__(code, detail)
        self.problems = tuple(problems)

    @classmethod
    def of(cls, error: VerificationError) -> Rejection:
        """The contract's refusal for a signature the verifier refused."""
        return cls(_FROM_VERIFICATION.get(error.code, error.code), error.detail)

    @property
    def status(self) -> int:
        return status_for(self.code)

    def message(self, language: str = DEFAULT_LANGUAGE) -> str:
        return message_for(self.code, language)


@contextmanager
def verifier_refusals() -> Iterator[None]:
    """Inside, the verifier's refusal leaves as the contract's `Rejection`."""
    try:
        yield
    except VerificationError as error:
        raise Rejection.of(error) from None


def status_for(code: str) -> int:
    status: int = _CATALOGUE[code]["status"]
    return status


def message_for(code: str, language: str = DEFAULT_LANGUAGE) -> str:
    texts: dict[str, str] = _CATALOGUE[code]["message"]
    return in_language(texts, language)


def texts_for_pages() -> dict[str, dict[str, dict[str, str]]]:
    """What the pages show for each code: {code: {"title": {lang: text}, "message": {lang: text}}}."""
    return {code: {"title": entry["title"], "message": entry["message"]} for code, entry in _CATALOGUE.items()}


def _check_catalogue() -> None:
    texts = [(f"{code}.{part}", entry[part]) for code, entry in _CATALOGUE.items() for part in ("title", "message")]
    for name, words in [*texts, *(("problems." + kind, words) for kind, words in _PROBLEMS.items())]:
        missing = [language for language in LANGUAGES if not words.get(language)]
        if missing:
            raise ValueError(f"rejections.json: {name} lacks {', '.join(missing)}")


_check_catalogue()
