"""The three languages of the contest: Kazakh, Russian and English; Russian when none is asked."""

LANGUAGES = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "ru"
