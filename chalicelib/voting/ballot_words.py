"""The ballot in words, for eGov mobile: what the citizen reads on the phone before signing — the
contest, the nomination and the nominee, and that it is the one vote. The words are data
(`ballot_words.json`, kk/ru/en).

eGov mobile shows one `description` and one text per `meta` line, but a name per language for
the document. When the app asks in a language (Accept-Language kk, ru or en) it gets that one;
when it does not say, each line carries all three (kk · ru · en), so nobody reads a language
they did not choose without their own beside it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chalicelib.voting.contest import Contest, Nomination, Nominee
from chalicelib.voting.egov_mobile import DocumentToSign, Named
from chalicelib.voting.languages import LANGUAGES, in_every_language

_WORDS: dict[str, Any] = json.loads(Path(__file__).with_name("ballot_words.json").read_text(encoding="utf-8"))
SEPARATOR = " · "


def _in(languages: tuple[str, ...], texts: Mapping[str, str], joiner: str = SEPARATOR) -> str:
    parts = [texts[language] for language in languages]
    return joiner.join(dict.fromkeys(parts))  # a text the same in every language is said once


def _filled(template: Mapping[str, str], contest: Contest, nomination: Nomination, nominee: Nominee) -> dict[str, str]:
    return {language: template[language].format(contest=contest.title[language], nominee=nominee.name,
                                                nomination=nomination.title[language])
            for language in LANGUAGES}


def description(contest: Contest, nomination: Nomination, nominee: Nominee, language: str | None) -> str:
    """API 1's description in `language`, or in all three (one a line) when None."""
    languages = (language,) if language else LANGUAGES
    return _in(languages, _filled(_WORDS["description"], contest, nomination, nominee), "\n")


def ballot_document(contest: Contest, nomination: Nomination, nominee: Nominee, ballot: bytes,
                    language: str | None) -> DocumentToSign:
    """API 2's one document: the ballot bytes, named in kk/ru/en, with meta lines in `language`
    (all three when None)."""
    languages = (language,) if language else LANGUAGES
    names = _filled(_WORDS["document"], contest, nomination, nominee)
    label = _WORDS["meta"]
    meta = [
        (_in(languages, label["contest"]), _in(languages, contest.title)),
        (_in(languages, label["nomination"]), _in(languages, nomination.title)),
        (_in(languages, label["nominee"]), nominee.name),
        (_in(languages, label["region"]), _in(languages, in_every_language(nominee.region))),
        (_in(languages, label["organization"]), _in(languages, in_every_language(nominee.organization))),
        (_in(languages, label["vote"]), _in(languages, _WORDS["one_vote"])),
    ]
    return DocumentToSign(Named(kk=names["kk"], ru=names["ru"], en=names["en"]), meta, ballot)
