"""Results as the contract shows them (JSON) and as the commission opens them (CSV for Excel).

Pure: built from the contest and a `TallyResult`.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib.voting.contest import Contest
from chalicelib.voting.rejection import DEFAULT_LANGUAGE
from chalicelib.voting.tally import TallyResult

FINAL, PROVISIONAL = "final", "provisional"
CSV_COLUMNS = ("nomination", "nominee", "region", "organization", "votes", "share")
# What Excel may run as a formula: `= + - @` at the start of a cell or of a piece of one after a
# separator it may split on (`,` here, `;` in ru/kk locales, a tab or a line break), spaces before
# it allowed.
_FORMULA_START = re.compile(r"(^|[,;\t\r\n])([ \t]*)([=+\-@])")


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


def share(votes: int, total: int) -> str:
    """Percent of the nomination's votes, two decimals ("41.67"); "0.00" when nobody voted."""
    if total == 0:
        return "0.00"
    return str((Decimal(100 * votes) / Decimal(total)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def results_csv(contest: Contest, result: TallyResult, language: str = DEFAULT_LANGUAGE) -> bytes:
    """UTF-8 with a byte order mark (so Excel reads Cyrillic and Kazakh letters), comma separated,
    one row per nominee: nomination title, name, region, organization, votes, share (%)."""
    out = io.StringIO(newline="")
    # Every cell quoted: a `;` or `,` inside a name never splits it, whatever the reader's locale.
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    for i, nomination in enumerate(contest.nominations):
        title = nomination.title.get(language) or nomination.title[DEFAULT_LANGUAGE]
        total = result.nominations.get(nomination.id, 0)
        for nominee in _ranked(contest, result, i):
            votes = result.nominees.get(nominee.id, 0)
            writer.writerow([_cell(title), _cell(nominee.name), _cell(nominee.region), _cell(nominee.organization),
                             votes, share(votes, total)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(text: str) -> str:
    """Keep a spreadsheet from running any part of a cell as a formula (CSV injection): a `'`
    before what starts like one, at the start and after every separator."""
    return _FORMULA_START.sub(lambda m: f"{m[1]}{m[2]}'{m[3]}", text)


def csv_filename(contest: Contest, status: str) -> str:
    return f"{contest.id}-results-{status}.csv"
