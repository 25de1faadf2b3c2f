"""Results as JSON (the contract's shape), by the nominees' regions, and as CSV for Excel. Pure."""

from __future__ import annotations

import csv
import io

from chalicelib.voting.contest import parse_contest
from chalicelib.voting.results import (
    COMMA,
    FINAL,
    PROVISIONAL,
    SEMICOLON,
    by_region,
    csv_filename,
    results_csv,
    results_document,
    share,
)
from chalicelib.voting.tally import TallyResult
from tests.conftest import contest_file

CONTEST = parse_contest(contest_file())
RESULT = TallyResult(
    closes_at="2026-03-15T09:00:00.000000Z", tallied_at="2026-03-15T09:03:00.000000Z", total=12,
    nominees={"hc-001": 4, "hc-002": 7, "rh-001": 1}, nominations={"home-care": 11, "rehab": 1},
    turnout={"2026-03-10T09": 12}, digest="ab" * 32,
)


def test_document_has_the_contract_shape():
    document = results_document(CONTEST, RESULT, FINAL)
    assert set(document) == {"contest", "status", "closes_at", "tallied_at", "total", "digest", "nominations"}
    assert (document["contest"], document["status"], document["total"]) == ("best-social-worker-2025", "final", 12)
    nomination = document["nominations"][0]
    assert set(nomination) == {"id", "title", "total", "nominees"}
    assert set(nomination["nominees"][0]) == {"id", "name", "votes"}


def test_nominees_are_ranked_by_votes_then_id():
    contest = parse_contest(contest_file())
    tied = TallyResult(RESULT.closes_at, RESULT.tallied_at, 6, {"hc-001": 3, "hc-002": 3, "rh-001": 0},
                       {"home-care": 6, "rehab": 0}, {}, RESULT.digest)
    assert [n["id"] for n in results_document(CONTEST, RESULT, FINAL)["nominations"][0]["nominees"]] == [
        "hc-002", "hc-001"]
    assert [n["id"] for n in results_document(contest, tied, FINAL)["nominations"][0]["nominees"]] == [
        "hc-001", "hc-002"]


def test_admins_also_get_turnout_per_hour():
    document = results_document(CONTEST, RESULT, FINAL, with_turnout=True)
    assert document["turnout"] == [{"hour": "2026-03-10T09:00:00Z", "votes": 12}]


def test_csv_starts_with_a_byte_order_mark_and_is_utf8():
    data = results_csv(CONTEST, RESULT, FINAL)
    assert data.startswith(b"\xef\xbb\xbf")
    assert "Айгүл Сейтқали" in data.decode("utf-8-sig")


def sheet(data: bytes, delimiter: str = ",") -> tuple[list[list[str]], list[dict[str, str]]]:
    """The CSV's two parts: what the numbers are (label, value rows), then the table by its header."""
    about, blank, table = data.decode("utf-8-sig").partition("\r\n\r\n")
    assert blank, "an empty row between the two parts"
    return (list(csv.reader(io.StringIO(about), delimiter=delimiter)),
            list(csv.DictReader(io.StringIO(table), delimiter=delimiter)))


def test_csv_parses_back_to_the_results_under_a_header_in_the_chosen_language():
    _, rows = sheet(results_csv(CONTEST, RESULT, FINAL, "kk"))
    assert tuple(rows[0]) == ("Номинация", "Үміткер", "Өңір", "Ұйым", "Дауыстар", "Үлесі, %")
    assert [(r["Номинация"], r["Үміткер"], r["Дауыстар"], r["Үлесі, %"]) for r in rows] == [
        ("Үйде қызмет көрсету", "Марат Оспанов", "7", "63.64"),
        ("Үйде қызмет көрсету", "Айгүл Сейтқали", "4", "36.36"),
        ("Оңалту", "Елена Ким", "1", "100.00"),
    ]
    assert (rows[1]["Өңір"], rows[1]["Ұйым"]) == ("Алматы", "ТЦСО №1")


def test_csv_says_what_the_numbers_are_final_or_provisional_when_counted_and_the_digest():
    about, _ = sheet(results_csv(CONTEST, RESULT, FINAL, "ru"))
    assert about == [["Конкурс", "Лучший социальный работник"], ["Итоги", "окончательные"],
                     ["Подсчитано", "2026-03-15 14:03 (по Астане, UTC+5)"],
                     ["Окончание голосования", "2026-03-15 14:00 (по Астане, UTC+5)"],
                     ["Всего голосов", "12"], ["Контрольная сумма (SHA-256)", "ab" * 32]]
    provisional, _ = sheet(results_csv(CONTEST, RESULT, PROVISIONAL, "en"))
    assert provisional[1] == ["Results", "provisional: votes may still arrive or are not counted yet"]
    assert provisional[2] == ["Provisional count at", "2026-03-15 14:03 (Astana time, UTC+5)"]


def test_excel_variant_separates_by_semicolons_with_decimal_commas():
    _, rows = sheet(results_csv(CONTEST, RESULT, FINAL, "ru", SEMICOLON), delimiter=";")
    assert [(r["Кандидат"], r["Голоса"], r["Доля, %"]) for r in rows] == [
        ("Марат Оспанов", "7", "63,64"), ("Айгүл Сейтқали", "4", "36,36"), ("Елена Ким", "1", "100,00")]


def test_final_and_provisional_files_have_different_names_a_provisional_one_its_astana_time():
    assert csv_filename(CONTEST, RESULT, FINAL) == "best-social-worker-2025-results-final.csv"
    assert csv_filename(CONTEST, RESULT, PROVISIONAL) == "best-social-worker-2025-results-provisional-20260315-1403.csv"
    assert csv_filename(CONTEST, RESULT, FINAL, SEMICOLON) == "best-social-worker-2025-results-final-semicolon.csv"


def test_csv_names_region_and_organisation_in_the_chosen_language():
    document = contest_file()
    document["nominations"][0]["nominees"][0]["region"] = {"kk": "Алматы қаласы", "ru": "город Алматы",
                                                           "en": "Almaty"}
    _, rows = sheet(results_csv(parse_contest(document), RESULT, FINAL, "en"))
    assert [r["Region"] for r in rows] == ["Астана", "Almaty", "Караганда"]


def test_csv_cells_cannot_become_spreadsheet_formulas():
    document = contest_file()
    document["nominations"][1]["nominees"][0]["organization"] = "=HYPERLINK(\"http://x\")"
    _, rows = sheet(results_csv(parse_contest(document), RESULT, FINAL, "en"))
    assert rows[-1]["Organisation"].startswith("'=")


def test_results_by_region_add_up_the_same_tally_most_votes_first():
    document = contest_file()
    document["nominations"][1]["nominees"][0]["region"] = {"kk": "Алматы", "ru": "Алматы", "en": "Almaty"}
    regions = by_region(parse_contest(document), RESULT)
    assert [(r["region"]["en"], r["nominees"], r["votes"]) for r in regions] == [("Астана", 1, 7), ("Almaty", 2, 5)]
    assert sum(r["votes"] for r in regions) == RESULT.total


def test_share_rounds_half_up_to_two_decimals_and_is_zero_without_votes():
    assert (share(1, 3), share(2, 3), share(1, 8), share(0, 0)) == ("33.33", "66.67", "12.50", "0.00")


def csv_cells(contest_document: dict) -> list[list[str]]:
    """The table of the CSV (its header first), as a reader splits it."""
    return sheet_rows(results_csv(parse_contest(contest_document), RESULT, FINAL, "ru"))


def sheet_rows(data: bytes, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig").partition("\r\n\r\n")[2]), delimiter=delimiter))


def test_every_csv_cell_is_quoted_so_no_locale_splits_a_name():
    document = contest_file()
    document["nominations"][0]["nominees"][0]["name"] = "Иванов; Петров, Сидоров"
    for dialect in (COMMA, SEMICOLON):
        data = results_csv(parse_contest(document), RESULT, FINAL, "ru", dialect).decode("utf-8-sig")
        assert '"Иванов; Петров, Сидоров"' in data
        assert all(line.startswith('"') and line.endswith('"') for line in data.splitlines() if line)


def test_a_formula_after_a_semicolon_is_neutralised_for_excel_in_ru_and_kk_locales():
    document = contest_file()
    document["nominations"][0]["nominees"][0]["name"] = "Иванов;=cmd|'/C calc'!A0"
    document["nominations"][0]["nominees"][1]["organization"] = "ТОО, +1+cmd; @SUM(A1) ,\t-2"
    rows = csv_cells(document)
    names = {row[1]: row for row in rows[1:]}
    assert "Иванов;'=cmd|'/C calc'!A0" in names
    assert names["Марат Оспанов"][3] == "ТОО, '+1+cmd; '@SUM(A1) ,\t'-2"
    # Split the way Excel in a Russian locale does: no piece of any cell starts like a formula.
    pieces = [piece.strip() for row in rows for cell in row[:4] for piece in cell.replace(",", ";").split(";")]
    assert not [piece for piece in pieces if piece[:1] in ("=", "+", "-", "@")]


def test_a_hyphen_inside_a_name_is_left_alone():
    document = contest_file()
    document["nominations"][0]["nominees"][0]["name"] = "Анна-Мария Ким"
    assert csv_cells(document)[2][1] == "Анна-Мария Ким"
