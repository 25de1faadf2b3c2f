"""Every way the service refuses a request: the contract's codes, their HTTP status, and people's
words for each (a title and a message, in kk, ru and en) in `rejections.json`, the one catalogue
that the server answers from and both pages read. A route never invents a code, and every code says
what to do next.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chalicelib.verify import failures
from chalicelib.verify.failures import Refusal, VerificationError
from chalicelib.voting.languages import DEFAULT_LANGUAGE, LANGUAGES

CATALOGUE_FILE = Path(__file__).with_name("rejections.json")
_CATALOGUE: dict[str, dict[str, Any]] = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))["codes"]
CODES = frozenset(_CATALOGUE)

# The verifier's codes that the contract names otherwise; the rest keep their name.
_FROM_VERIFICATION = {
    failures.MALFORMED: "malformed_request",
    failures.REVOCATION_UNAVAILABLE: "unavailable",  # revocation cannot be checked now: retry later
}


class Rejection(Refusal):
    """A refusal with a contract code. `detail` is for logs and operators: it never carries an IIN,
    a name, a secret or a token."""

    codes = CODES

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
    return texts.get(language) or texts[DEFAULT_LANGUAGE]


def texts_for_pages() -> dict[str, dict[str, dict[str, str]]]:
    """What the pages show for each code: {code: {"title": {lang: text}, "message": {lang: text}}}."""
    return {code: {"title": entry["title"], "message": entry["message"]} for code, entry in _CATALOGUE.items()}


def _check_catalogue() -> None:
    for code, entry in _CATALOGUE.items():
        for part in ("title", "message"):
            missing = [language for language in LANGUAGES if not entry[part].get(language)]
            if missing:
                raise ValueError(f"rejections.json: {code}.{part} lacks {', '.join(missing)}")


_check_catalogue()
