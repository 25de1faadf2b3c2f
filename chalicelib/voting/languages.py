"""The three languages of the contest: Kazakh, Russian and English; Russian when none is asked."""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "ru"


def in_language(value: str | Mapping[str, str], language: str) -> str:
    """The text of `value` in `language` (Russian when it has none); a plain string is every language's."""
    if isinstance(value, str):
        return value
    return value.get(language) or value[DEFAULT_LANGUAGE]


def in_every_language(value: str | Mapping[str, str]) -> dict[str, str]:
    """`{"kk", "ru", "en"}`: `value` in each language (as `in_language` says it)."""
    return {language: in_language(value, language) for language in LANGUAGES}
