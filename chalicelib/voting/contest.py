"""Contests: the contest file's schema, its validation, the voting window and the freeze rules.

A nominee's `region` and `organization` are a text (the same in every language, as contest files
before kk/ru/en forms) or `{"kk", "ru", "en"}`. Besides the ballot paper a contest may say who runs
it: `organiser`, `rules_url`, `personal_data` (the notice: what is stored, how long, who sees it)
and `help` (`phone`, `email`, `hours`), each optional and in three languages where it is words.

Pure: the same rules serve `manage.py load-contest`, the admin upload and the vote path.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.voting.clock import iso_utc
from chalicelib.voting.languages import DEFAULT_LANGUAGE, LANGUAGES, in_language

CONTEST_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
ITEM_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9])?")
VISIBILITIES = ("public", "admins")
MAX_TEXT = 300
MAX_DESCRIPTION = 4000
MAX_NOMINATIONS = 50
MAX_NOMINEES = 5000
# A contest's times and window: wide for any real vote, narrow enough that every later sum (the
# grace, the hours of the turnout) stays a small, valid time.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_WINDOW = timedelta(days=366)

UPCOMING, OPEN, CLOSED = "upcoming", "open", "closed"
_HTTPS_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[^\s\"'<>]*)?")
_EMAIL = re.compile(r"[^@\s\"'<>]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{2,30}")
_SURROGATE = re.compile("[\ud800-\udfff]")

# A text the same in every language, or one per language ({"kk", "ru", "en"}).
Localized = str | Mapping[str, str]


def window_status(opens_at: datetime, closes_at: datetime, now: datetime) -> str:
    """upcoming before `opens_at`, open until `closes_at` (excluded), closed from then on."""
    if now < opens_at:
        return UPCOMING
    if now < closes_at:
        return OPEN
    return CLOSED


def _as_document(value: Localized) -> Localized:
    return value if isinstance(value, str) else dict(value)


class ContestError(ValueError):
    """A contest file that cannot be loaded. `field` is the path of the offending field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class Nominee:
    id: str
    name: str
    region: Localized
    organization: Localized
    description: Mapping[str, str]

    @property
    def region_key(self) -> str:
        """One name for the region whatever the language (its Russian form): results by region
        and the page's region filter group by it."""
        return in_language(self.region, DEFAULT_LANGUAGE)

    def to_document(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "region": _as_document(self.region),
                "organization": _as_document(self.organization), "description": dict(self.description)}


@dataclass(frozen=True)
class Help:
    """Where a citizen asks for help: a phone, an e-mail, and when someone answers."""

    phone: str | None = None
    email: str | None = None
    hours: Mapping[str, str] | None = None

    def to_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {"phone": self.phone, "email": self.email,
                                    "hours": dict(self.hours) if self.hours else None}
        return {name: value for name, value in document.items() if value}


@dataclass(frozen=True)
class About:
    """Who runs the contest and by which rules: what the page says beside the ballot paper."""

    organiser: Mapping[str, str] | None = None
    rules_url: Localized | None = None
    personal_data: Mapping[str, str] | None = None
    help: Help | None = None

    def to_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "organiser": dict(self.organiser) if self.organiser else None,
            "rules_url": _as_document(self.rules_url) if self.rules_url else None,
            "personal_data": dict(self.personal_data) if self.personal_data else None,
            "help": self.help.to_document() if self.help else None,
        }
        return {name: value for name, value in document.items() if value}


@dataclass(frozen=True)
class Nomination:
    id: str
    title: Mapping[str, str]
    nominees: tuple[Nominee, ...]

    def to_document(self) -> dict[str, Any]:
        return {"id": self.id, "title": dict(self.title), "nominees": [n.to_document() for n in self.nominees]}


@dataclass(frozen=True)
class Contest:
    id: str
    title: Mapping[str, str]
    opens_at: datetime  # UTC
    closes_at: datetime  # UTC
    results_visibility: str
    nominations: tuple[Nomination, ...]
    about: About = field(default_factory=About)
    _index: dict[str, tuple[Nomination, Nominee]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for nomination in self.nominations:
            for nominee in nomination.nominees:
                self._index[nominee.id] = (nomination, nominee)

    def status_at(self, now: datetime) -> str:
        return window_status(self.opens_at, self.closes_at, now)

    def find_nominee(self, nominee_id: str) -> tuple[Nomination, Nominee] | None:
        return self._index.get(nominee_id)

    def to_document(self) -> dict[str, Any]:
        """The contest file form, times in UTC: what is stored and what `parse_contest` reads."""
        return {
            "id": self.id,
            "title": dict(self.title),
            "opens_at": iso_utc(self.opens_at),
            "closes_at": iso_utc(self.closes_at),
            "results_visibility": self.results_visibility,
            **self.about.to_document(),
            "nominations": [n.to_document() for n in self.nominations],
        }

    def to_json(self) -> str:
        """The contest file as stored: canonical JSON (sorted keys, no spaces), UTF-8 text."""
        return json.dumps(self.to_document(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def with_closes_at(self, closes_at: datetime) -> Contest:
        """The same contest with voting ending at `closes_at` (an early close)."""
        return replace(self, closes_at=closes_at, _index={})

    def same_ballot_paper(self, other: Contest) -> bool:
        """Everything but `closes_at` and the help contact is equal: what may not change once
        voting has opened (a call centre's number may have to)."""
        mine, theirs = self.to_document(), other.to_document()
        for changeable in ("closes_at", "help"):
            mine.pop(changeable, None)
            theirs.pop(changeable, None)
        return mine == theirs


def parse_time(value: object, where: str) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise ContestError(where, "must be an ISO 8601 time with an offset, e.g. 2025-10-01T00:00:00+05:00")
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ContestError(where, f"{value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ContestError(where, "needs an offset (e.g. +05:00 for Astana time)")
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 shifted by its offset out of the calendar
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ContestError(where, f"must fall in {EARLIEST.year}–{LATEST.year - 1}")
    return utc


def parse_contest(document: object) -> Contest:
    """Validate a contest file (already JSON-decoded). Raises ContestError naming the field."""
    data = _object(document, "contest", required={"id", "title", "opens_at", "closes_at",
                                                  "results_visibility", "nominations"},
                   optional={"organiser", "rules_url", "personal_data", "help"})
    contest_id = data["id"]
    if not isinstance(contest_id, str) or not CONTEST_ID.fullmatch(contest_id):
        raise ContestError("id", "use 1-64 lower-case latin letters, digits and dashes")
    opens_at = parse_time(data["opens_at"], "opens_at")
    closes_at = parse_time(data["closes_at"], "closes_at")
    if closes_at <= opens_at:
        raise ContestError("closes_at", "must be after opens_at")
    if closes_at - opens_at > MAX_WINDOW:
        raise ContestError("closes_at", f"voting may last at most {MAX_WINDOW.days} days")
    if data["results_visibility"] not in VISIBILITIES:
        raise ContestError("results_visibility", "must be 'public' or 'admins'")
    nominations_data = data["nominations"]
    if not isinstance(nominations_data, list) or not nominations_data:
        raise ContestError("nominations", "must be a non-empty list")
    if len(nominations_data) > MAX_NOMINATIONS:
        raise ContestError("nominations", f"at most {MAX_NOMINATIONS}")
    nominations: list[Nomination] = []
    seen_nominations: set[str] = set()
    seen_nominees: set[str] = set()
    total = 0
    for i, raw in enumerate(nominations_data):
        where = f"nominations[{i}]"
        item = _object(raw, where, required={"id", "title", "nominees"})
        nomination_id = _identifier(item["id"], f"{where}.id")
        if nomination_id in seen_nominations:
            raise ContestError(f"{where}.id", f"duplicate nomination id {nomination_id!r}")
        seen_nominations.add(nomination_id)
        nominees_data = item["nominees"]
        if not isinstance(nominees_data, list) or not nominees_data:
            raise ContestError(f"{where}.nominees", "must be a non-empty list")
        nominees = []
        for j, raw_nominee in enumerate(nominees_data):
            nominee = parse_nominee(raw_nominee, f"{where}.nominees[{j}]")
            if nominee.id in seen_nominees:
                raise ContestError(f"{where}.nominees[{j}].id", f"duplicate nominee id {nominee.id!r}")
            seen_nominees.add(nominee.id)
            nominees.append(nominee)
        total += len(nominees)
        if total > MAX_NOMINEES:
            raise ContestError("nominations", f"at most {MAX_NOMINEES} nominees in a contest")
        nominations.append(Nomination(nomination_id, _titles(item["title"], f"{where}.title"), tuple(nominees)))
    return Contest(
        id=contest_id,
        title=_titles(data["title"], "title"),
        opens_at=opens_at,
        closes_at=closes_at,
        results_visibility=data["results_visibility"],
        nominations=tuple(nominations),
        about=_about(data),
    )


def _about(data: dict[str, Any]) -> About:
    rules = data.get("rules_url")
    return About(
        organiser=_titles(data["organiser"], "organiser") if "organiser" in data else None,
        rules_url=_localized(rules, "rules_url", _url) if rules is not None else None,
        personal_data=_titles(data["personal_data"], "personal_data", MAX_DESCRIPTION)
        if "personal_data" in data else None,
        help=_help(data["help"]) if "help" in data else None,
    )


def _help(value: object) -> Help:
    item = _object(value, "help", required=set(), optional={"phone", "email", "hours"})
    phone, email = item.get("phone"), item.get("email")
    if phone is not None and not (isinstance(phone, str) and _PHONE.fullmatch(phone.strip())):
        raise ContestError("help.phone", "must be a phone number, e.g. +7 7172 00 00 00 or 1414")
    if email is not None and not (isinstance(email, str) and _EMAIL.fullmatch(email.strip())):
        raise ContestError("help.email", "must be an e-mail address")
    if phone is None and email is None:
        raise ContestError("help", "give a phone, an email or both")
    hours = _titles(item["hours"], "help.hours") if "hours" in item else None
    return Help(phone.strip() if phone else None, email.strip() if email else None, hours)


def _url(value: object, where: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT or not _HTTPS_URL.fullmatch(value.strip()):
        raise ContestError(where, "must be an https:// address")
    return value.strip()


def parse_nominee(raw: object, where: str) -> Nominee:
    item = _object(raw, where, required={"id", "name", "region", "organization"}, optional={"description"})
    description = item.get("description", {})
    if not isinstance(description, dict) or not set(description) <= set(LANGUAGES):
        raise ContestError(f"{where}.description", "must be an object with kk, ru or en texts")
    for language, text in description.items():
        _text(text, f"{where}.description.{language}", MAX_DESCRIPTION, allow_empty=True)
    return Nominee(
        id=_identifier(item["id"], f"{where}.id"),
        name=_text(item["name"], f"{where}.name"),
        region=_localized(item["region"], f"{where}.region", _text),
        organization=_localized(item["organization"], f"{where}.organization", _text),
        description={k: v for k, v in description.items() if v},
    )


def check_update(existing: Contest, new: Contest, now: datetime, notice: timedelta = timedelta(0)) -> None:
    """The freeze rules: from `notice` before voting opens (`closing.ClosingPolicy.notice`, past
    the age of any process's copy of the contest, which may already say "open") only `closes_at`
    may move, never into the past, and earlier only to at least `notice` from now; once voting has
    ended (`now >= closes_at`, even before the closer has run) the window is final."""
    if now >= existing.opens_at - notice and not existing.same_ballot_paper(new):
        opened = "voting has opened" if now >= existing.opens_at else \
            f"voting opens within {int(notice.total_seconds())} s"
        raise ContestError("nominations", f"{opened}: only closes_at may change")
    if now >= existing.closes_at and new.closes_at != existing.closes_at:
        raise ContestError("closes_at", "voting has ended: the window is final and cannot be reopened")
    if new.closes_at != existing.closes_at and new.closes_at <= now:
        raise ContestError("closes_at", "cannot be moved into the past")
    if now >= existing.opens_at and new.closes_at < min(existing.closes_at, now + notice):
        raise ContestError("closes_at", f"voting is open: it can end {int(notice.total_seconds())} s from now at "
                                        "the earliest (or close it early)")


def _object(value: object, where: str, required: set[str], optional: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ContestError(where, "must be an object")
    missing = sorted(required - set(value))
    if missing:
        raise ContestError(f"{where}.{missing[0]}" if where != "contest" else missing[0], "is required")
    unknown = sorted(set(value) - required - optional)
    if unknown:
        raise ContestError(f"{where}.{unknown[0]}" if where != "contest" else unknown[0], "is not a known field")
    return value


def _identifier(value: object, where: str) -> str:
    if not isinstance(value, str) or not ITEM_ID.fullmatch(value):
        raise ContestError(where, "use 1-64 latin letters, digits, '-', '_' or '.'")
    return value


def _text(value: object, where: str, limit: int = MAX_TEXT, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not _visible(value) and not allow_empty):
        raise ContestError(where, "must be a non-empty text")
    if _SURROGATE.search(value):  # JSON's "\udc80" decodes to a text no UTF-8 can store
        raise ContestError(where, "holds a lone UTF-16 surrogate, not a character")
    if len(value) > limit:
        raise ContestError(where, f"at most {limit} characters")
    return value.strip()


def _visible(text: str) -> bool:
    """Whether a reader sees anything: a name of spaces, zero-width or control characters alone
    (categories Z and C) would be an empty line on the ballot."""
    return any(not unicodedata.category(character).startswith(("Z", "C")) for character in text)


def _titles(value: object, where: str, limit: int = MAX_TEXT) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ContestError(where, "must be an object with kk, ru and en texts")
    for language in LANGUAGES:
        if language not in value:
            raise ContestError(f"{where}.{language}", "is required")
    unknown = sorted(set(value) - set(LANGUAGES))
    if unknown:
        raise ContestError(f"{where}.{unknown[0]}", "is not a known language (kk, ru, en)")
    return {language: _text(value[language], f"{where}.{language}", limit) for language in LANGUAGES}


def _localized(value: object, where: str, check: Callable[[object, str], str]) -> Localized:
    """One text for every language, or an object with the kk, ru and en forms, each `check`ed."""
    if not isinstance(value, dict):
        return check(value, where)
    _titles(value, where)  # exactly kk, ru and en
    return {language: check(value[language], f"{where}.{language}") for language in LANGUAGES}
