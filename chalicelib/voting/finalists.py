"""Finalists from a regional commission's spreadsheet (CSV) into a contest's nominations.

The file: UTF-8 with or without a byte order mark, separated by commas or by semicolons (what
Excel writes in a Russian locale), a header row with the columns
`nomination, id, name, region, organization, description_kk, description_ru, description_en`
(any order, any letter case). Every bad row is reported with its line number, and nothing is
loaded unless every row is good. Pure.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from typing import Any

from chalicelib.voting.contest import ContestError, parse_nominee

COLUMNS = ("nomination", "id", "name", "region", "organization", "description_kk", "description_ru",
           "description_en")
MAX_BYTES = 10 * 1024 * 1024


class FinalistsError(ValueError):
    """The spreadsheet cannot be loaded; `problems` lists every bad row as 'line N: ...'."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
        self.problems = problems


def _text(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise FinalistsError([f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FinalistsError([f"line {line}: not UTF-8 text (save the sheet as 'CSV UTF-8')"]) from None


def _delimiter(header: str) -> str:
    return ";" if header.count(";") > header.count(",") else ","


def parse_finalists(data: bytes, nominations: Collection[str]) -> dict[str, list[dict[str, Any]]]:
    """Nominee documents (as in the contest file) per nomination id, in file order. Raises
    `FinalistsError` listing every bad row."""
    text = _text(data)
    if not text.strip():
        raise FinalistsError(["line 1: the file is empty"])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.splitlines()[0]), strict=True)
    problems: list[str] = []
    try:
        header = [name.strip().lower() for name in next(reader)]
    except csv.Error as error:
        raise FinalistsError([f"line 1: {error}"]) from None
    missing = [name for name in COLUMNS if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        detail = ", ".join([f"missing column {n}" for n in missing] + [f"unknown column {n!r}" for n in unknown])
        raise FinalistsError([f"line 1: {detail or 'a column appears twice'} (columns: {', '.join(COLUMNS)})"])
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
            problems.append(f"line {start}: {error}")
            break
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(f"line {start}: {len(row)} cells, expected {len(header)}")
            continue
        cells = {name: value.strip() for name, value in zip(header, row, strict=True)}
        problem = _row_problem(cells, nominations, seen, start)
        if problem:
            problems.append(f"line {start}: {problem}")
            continue
        seen[cells["id"]] = start
        found.setdefault(cells["nomination"], []).append(_nominee_document(cells))
    if not problems and not found:
        problems.append("line 2: no finalists in the file")
    if problems:
        raise FinalistsError(problems)
    return found


def _nominee_document(cells: dict[str, str]) -> dict[str, Any]:
    description = {lang: cells[f"description_{lang}"] for lang in ("kk", "ru", "en") if cells[f"description_{lang}"]}
    return {"id": cells["id"], "name": cells["name"], "region": cells["region"],
            "organization": cells["organization"], "description": description}


def _row_problem(cells: dict[str, str], nominations: Collection[str], seen: dict[str, int], line: int) -> str | None:
    if cells["nomination"] not in nominations:
        return f"nomination {cells['nomination']!r} is not in the contest (known: {', '.join(sorted(nominations))})"
    try:
        parse_nominee(_nominee_document(cells), "row")
    except ContestError as error:
        column = error.field.removeprefix("row.").replace("description.", "description_")
        return f"{column}: {error.problem}"
    if cells["id"] in seen:
        return f"id {cells['id']!r} repeats line {seen[cells['id']]}"
    return None


def with_finalists(document: Any, data: bytes) -> Any:
    """The contest file with each nomination's nominees replaced by the spreadsheet's rows."""
    if not isinstance(document, dict) or not isinstance(document.get("nominations"), list):
        raise ContestError("nominations", "must be a non-empty list")
    ids = [n.get("id") for n in document["nominations"] if isinstance(n, dict)]
    found = parse_finalists(data, [i for i in ids if isinstance(i, str)])
    empty = [i for i in ids if i not in found]
    if empty:
        raise FinalistsError([f"nomination {i!r} has no finalists in the file" for i in empty])
    nominations = [{**n, "nominees": found[n["id"]]} for n in document["nominations"]]
    return {**document, "nominations": nominations}
