"""Results as the contract shows them (JSON), by the nominees' regions (for the commission), and as
the commission opens them (CSV for Excel).

Pure: built from the contest and a `TallyResult`. The CSV's words are data (`results_words.json`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from chalicelib.voting.clock import astana, parse_iso_utc
from chalicelib.voting.contest import Contest
from chalicelib.voting.languages import DEFAULT_LANGUAGE, in_every_language, in_language
from chalicelib.voting.tally import TallyResult

FINAL, PROVISIONAL = "final", "provisional"
CSV_COLUMNS = ("nomination", "nominee", "region", "organization", "votes", "share")
# What Excel may run as a formula: `= + - @` at the start of a cell or of a piece of one after a
# separator it may split on (`,` here, `;` in ru/kk locales, a tab or a line break), spaces before
# it allowed.
_FORMULA_START = re.compile(r"(^|[,;\t\r\n])([ \t]*)([=+\-@])")
_WORDS: dict[str, Any] = json.loads(Path(__file__).with_name("results_words.json").read_text(encoding="utf-8"))


def _ranked(contest: Contest, result: TallyResult, nomination_index: int) -> list[Any]:
    nomination = contest.nominations[nomination_index]
    return sorted(nomination.nominees, key=lambda n: (-result.nominees.get(n.id, 0), n.id))


def results_document(contest: Contest, result: TallyResult, status: str, with_turnout: bool = False) -> dict[str, Any]:
    """`{"contest", "status", "closes_at", "tallied_at", "total", "digest", "nominations": [...]}`,
    nominees by votes (descending), then id. Admins also get the turnout per hour."""
    document: dict[str, Any] = {
        "contest": contest.id,
        "status": status,
        "closes_at": result.closes_at,
        "tallied_at": result.tallied_at,
        "total": result.total,
        "digest": result.digest,
        "nominations": [
            {
                "id": nomination.id,
                "title": dict(nomination.title),
                "total": result.nominations.get(nomination.id, 0),
                "nominees": [{"id": n.id, "name": n.name, "votes": result.nominees.get(n.id, 0)}
                             for n in _ranked(contest, result, i)],
            }
            for i, nomination in enumerate(contest.nominations)
        ],
    }
    if with_turnout:
        document["turnout"] = [{"hour": hour + ":00:00Z", "votes": votes} for hour, votes in result.turnout.items()]
    return document


def by_region(contest: Contest, result: TallyResult) -> list[dict[str, Any]]:
    """The same count by the nominees' regions: `[{"region": {kk, ru, en}, "nominees", "votes"}]`,
    most votes first, then by the region's Russian name. A region is one whatever the language it
    was written in (its key is the Russian form)."""
    regions: dict[str, dict[str, Any]] = {}
    for nomination in contest.nominations:
        for nominee in nomination.nominees:
            row = regions.setdefault(nominee.region_key, {
                "region": in_every_language(nominee.region),
                "nominees": 0, "votes": 0})
            if not isinstance(nominee.region, str):  # a region written in three languages says so in each
                row["region"] = in_every_language(nominee.region)
            row["nominees"] += 1
            row["votes"] += result.nominees.get(nominee.id, 0)
    return sorted(regions.values(), key=lambda row: (-row["votes"], row["region"][DEFAULT_LANGUAGE]))


def share(votes: int, total: int) -> str:
    """Percent of the nomination's votes, two decimals ("41.67"); "0.00" when nobody voted."""
    if total == 0:
        return "0.00"
    return str((Decimal(100 * votes) / Decimal(total)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class CsvDialect:
    """How the spreadsheet separates cells and writes decimals: `,` and `.` (the default, what
    any program reads), or `;` and `,` (what Excel expects in a Russian or Kazakh locale)."""

    name: str
    delimiter: str
    decimal: str


COMMA = CsvDialect("comma", ",", ".")
SEMICOLON = CsvDialect("semicolon", ";", ",")
DIALECTS = {d.name: d for d in (COMMA, SEMICOLON)}


def _words(part: str, key: str, language: str) -> str:
    texts: dict[str, str] = _WORDS[part][key]
    return in_language(texts, language)


def _time(iso: str, language: str) -> str:
    zone: dict[str, str] = _WORDS["astana_time"]
    return astana(parse_iso_utc(iso)).strftime("%Y-%m-%d %H:%M") + f" ({in_language(zone, language)})"


def results_csv(contest: Contest, result: TallyResult, status: str = FINAL, language: str = DEFAULT_LANGUAGE,
                dialect: CsvDialect = COMMA) -> bytes:
    """UTF-8 with a byte order mark (so Excel reads Cyrillic and Kazakh letters). First what the
    numbers are — the contest, final or provisional, when counted (Astana time), when voting ends,
    the total and the digest — then an empty row, then one row per nominee under a header in
    `language`: nomination title, name, region, organization, votes, share (%)."""
    out = io.StringIO(newline="")
    # Every cell quoted: a `;` or `,` inside a name never splits it, whatever the reader's locale.
    writer = csv.writer(out, delimiter=dialect.delimiter, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    counted = "counted_at_final" if status == FINAL else "counted_at_provisional"
    for key, value in (("contest", in_language(contest.title, language)),
                       ("status", _words("status", status, language)),
                       (counted, _time(result.tallied_at, language)),
                       ("closes_at", _time(result.closes_at, language)),
                       ("total", str(result.total)),
                       ("digest", result.digest)):
        writer.writerow([_cell(_words("about", key, language)), _cell(value)])
    writer.writerow([])
    writer.writerow([_words("columns", column, language) for column in CSV_COLUMNS])
    for i, nomination in enumerate(contest.nominations):
        title = in_language(nomination.title, language)
        total = result.nominations.get(nomination.id, 0)
        for nominee in _ranked(contest, result, i):
            votes = result.nominees.get(nominee.id, 0)
            writer.writerow([_cell(title), _cell(nominee.name), _cell(in_language(nominee.region, language)),
                             _cell(in_language(nominee.organization, language)), votes,
                             share(votes, total).replace(".", dialect.decimal)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(text: str) -> str:
    """Keep a spreadsheet from running any part of a cell as a formula (CSV injection): a `'`
    before what starts like one, at the start and after every separator."""
    return _FORMULA_START.sub(lambda m: f"{m[1]}{m[2]}'{m[3]}", text)


def csv_filename(contest: Contest, result: TallyResult, status: str, dialect: CsvDialect = COMMA) -> str:
    """`<id>-results-final.csv`; a provisional count names its moment (Astana time), so two
    downloads during the vote never look like the final file or like each other."""
    name = f"{contest.id}-results-final" if status == FINAL else \
        f"{contest.id}-results-provisional-{astana(parse_iso_utc(result.tallied_at)):%Y%m%d-%H%M}"
    return name + ("-semicolon" if dialect is SEMICOLON else "") + ".csv"
