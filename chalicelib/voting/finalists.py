"""Finalists from a regional commission's spreadsheet (CSV) into a contest's nominations, and what
loading them would change.

The file: UTF-8 with or without a byte order mark, separated by commas or by semicolons (what
Excel writes in a Russian locale), a header row with the columns
`nomination, id, name, region, organization, description_kk, description_ru, description_en`
(any order, any letter case), and optionally `region_kk, region_en, organization_kk,
organization_en`: then `region` and `organization` are the Russian forms and the nominee's
region or organisation has all three. Every bad row is reported with its line number (a
`rejection.Problem`, said in kk, ru or en), and nothing is loaded unless every row is good. Pure.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Collection
from typing import Any

from chalicelib.voting.contest import (
    ITEM_ID,
    MAX_DESCRIPTION,
    MAX_TEXT,
    Contest,
    ContestError,
    Nominee,
    parse_nominee,
)
from chalicelib.voting.languages import LANGUAGES
from chalicelib.voting.rejection import Problem

COLUMNS = ("nomination", "id", "name", "region", "organization", "description_kk", "description_ru",
           "description_en")
TRANSLATED = ("region", "organization")  # may come in three columns: <name> (ru), <name>_kk, <name>_en
OPTIONAL_COLUMNS = tuple(f"{name}_{language}" for name in TRANSLATED for language in ("kk", "en"))
MAX_BYTES = 10 * 1024 * 1024


# A file with this many problems is the wrong file: reading on (a 4 MB file may hold two million
# bad rows) would only cost time and memory; the commission is shown the first 50.
MAX_PROBLEMS = 100


class FinalistsError(ValueError):
    """The spreadsheet cannot be loaded; `found` lists every problem (`problems`: in English)."""

    def __init__(self, found: list[Problem]) -> None:
        self.found = found
        self.problems = [problem.text("en") for problem in found]
        more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
        super().__init__("; ".join(self.problems[:5]) + more)


def _text(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise FinalistsError([Problem("too_large", values={"limit": MAX_BYTES // (1024 * 1024)})])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FinalistsError([Problem("not_utf8", data[: error.start].count(b"\n") + 1)]) from None


def _delimiter(header: str) -> str:
    return ";" if header.count(";") > header.count(",") else ","


def _header_problems(header: list[str]) -> list[Problem]:
    columns = ", ".join(COLUMNS)
    known = frozenset(COLUMNS + OPTIONAL_COLUMNS)
    counts = Counter(header)
    problems = [Problem("missing_column", 1, {"column": name, "columns": columns})
                for name in COLUMNS if name not in counts]
    problems += [Problem("unknown_column", 1, {"column": name, "columns": columns})
                 for name in counts if name not in known]
    problems += [Problem("repeated_column", 1, {"column": name}) for name, count in counts.items() if count > 1]
    return problems[:MAX_PROBLEMS]


def parse_finalists(data: bytes, nominations: Collection[str]) -> dict[str, list[dict[str, Any]]]:
    """Nominee documents (as in the contest file) per nomination id, in file order. Raises
    `FinalistsError` listing every bad row."""
    text = _text(data)
    if not text.strip():
        raise FinalistsError([Problem("empty_file", 1)])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.splitlines()[0]), strict=True)
    problems: list[Problem] = []
    try:
        header = [name.strip().lower() for name in next(reader)]
    except csv.Error as error:
        raise FinalistsError([Problem("syntax", 1, {"detail": error})]) from None
    wrong = _header_problems(header)
    if wrong:
        raise FinalistsError(wrong)
    found: dict[str, list[dict[str, Any]]] = {}
    seen: dict[str, int] = {}
    line = reader.line_num
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(Problem("syntax", start, {"detail": error}))
            break
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problem: Problem | None = Problem("cell_count", values={"found": len(row), "expected": len(header)})
        else:
            cells = {name: value.strip() for name, value in zip(header, row, strict=True)}
            problem = _row_problem(cells, nominations, seen)
        if problem:
            problems.append(Problem(problem.kind, start, problem.values))
            if len(problems) >= MAX_PROBLEMS:
                break
            continue
        seen[cells["id"]] = start
        found.setdefault(cells["nomination"], []).append(_nominee_document(cells))
    if not problems and not found:
        problems.append(Problem("no_rows", 2))
    if problems:
        raise FinalistsError(problems)
    return found


def _translated(cells: dict[str, str], name: str) -> str | dict[str, str]:
    kk, en = cells.get(f"{name}_kk", ""), cells.get(f"{name}_en", "")
    return {"kk": kk, "ru": cells[name], "en": en} if kk and en else cells[name]


def _nominee_document(cells: dict[str, str]) -> dict[str, Any]:
    description = {lang: cells[f"description_{lang}"] for lang in LANGUAGES if cells[f"description_{lang}"]}
    return {"id": cells["id"], "name": cells["name"], "region": _translated(cells, "region"),
            "organization": _translated(cells, "organization"), "description": description}


def _row_problem(cells: dict[str, str], nominations: Collection[str], seen: dict[str, int]) -> Problem | None:
    if cells["nomination"] not in nominations:
        return Problem("unknown_nomination", values={"nomination": cells["nomination"],
                                                     "known": ", ".join(sorted(nominations))})
    for column in ("id", "name", *TRANSLATED):
        if not cells[column]:
            return Problem("empty_cell", values={"column": column})
    if not ITEM_ID.fullmatch(cells["id"]):
        return Problem("bad_id", values={"value": cells["id"][:64]})
    for column, value in cells.items():
        limit = MAX_DESCRIPTION if column.startswith("description_") else MAX_TEXT
        if len(value) > limit:
            return Problem("too_long", values={"column": column, "limit": limit})
    for name in TRANSLATED:
        given = [f"{name}_{language}" for language in ("kk", "en") if cells.get(f"{name}_{language}")]
        if len(given) == 1:
            missing = f"{name}_en" if given[0].endswith("_kk") else f"{name}_kk"
            return Problem("half_translated", values={"given": given[0], "missing": missing})
    try:
        parse_nominee(_nominee_document(cells), "row")
    except ContestError as error:  # what the checks above do not name
        column = error.field.removeprefix("row.").replace("description.", "description_")
        return Problem("invalid", values={"column": column, "detail": error.problem})
    if cells["id"] in seen:
        return Problem("repeated_id", values={"id": cells["id"], "first": seen[cells["id"]]})
    return None


def with_finalists(document: Any, data: bytes) -> Any:
    """The contest file with each nomination's nominees replaced by the spreadsheet's rows."""
    if not isinstance(document, dict) or not isinstance(document.get("nominations"), list):
        raise ContestError("nominations", "must be a non-empty list")
    ids = [n.get("id") for n in document["nominations"] if isinstance(n, dict)]
    found = parse_finalists(data, [i for i in ids if isinstance(i, str)])
    empty = [i for i in ids if i not in found]
    if empty:
        raise FinalistsError([Problem("nomination_without_finalists", values={"nomination": i}) for i in empty])
    nominations = [{**n, "nominees": found[n["id"]]} for n in document["nominations"]]
    return {**document, "nominations": nominations}


def _person(nominee: Nominee) -> dict[str, str]:
    return {"id": nominee.id, "name": nominee.name, "region": nominee.region_key}


def changes(old: Contest, new: Contest) -> list[dict[str, Any]]:
    """What loading `new` over `old` does, per nomination: the nominees `added`, `removed` and
    `changed` (with the fields that differ), and how many stay `unchanged`. Said before asking."""
    report = []
    for after in new.nominations:
        before = next((n for n in old.nominations if n.id == after.id), None)
        was = {n.id: n for n in before.nominees} if before else {}
        now = {n.id: n for n in after.nominees}
        changed: list[dict[str, Any]] = []
        for nominee_id in now.keys() & was.keys():
            fields = [name for name, value in now[nominee_id].to_document().items()
                      if was[nominee_id].to_document()[name] != value]
            if fields:
                changed.append({**_person(now[nominee_id]), "fields": fields})
        report.append({
            "nomination": after.id,
            "title": dict(after.title),
            "added": [_person(now[i]) for i in now if i not in was],
            "removed": [_person(was[i]) for i in was if i not in now],
            "changed": sorted(changed, key=lambda c: str(c["id"])),
            "unchanged": len(now.keys() & was.keys()) - len(changed),
        })
    return report
