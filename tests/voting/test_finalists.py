"""Finalists from a commission's spreadsheet (CSV): separators, BOM, every bad row by line. Pure."""

from __future__ import annotations

import pytest

from chalicelib.voting.contest import parse_contest
from chalicelib.voting.finalists import MAX_PROBLEMS, FinalistsError, parse_finalists, with_finalists
from tests.conftest import contest_file

HEADER = "nomination,id,name,region,organization,description_kk,description_ru,description_en\n"
GOOD = HEADER + (
    "home-care,hc-101,Айгүл Сейтқали,Алматы,ТЦСО №1,,20 лет стажа,\n"
    'home-care,hc-102,"Оспанов, Марат",Астана,ЦСО «Шапагат»,Тәжірибе,,Experience\n'
    "rehab,rh-101,Елена Ким,Караганда,Реабилитационный центр,,,\n"
)
NOMINATIONS = ("home-care", "rehab")


def test_comma_separated_rows_become_nominees_per_nomination():
    found = parse_finalists(GOOD.encode(), NOMINATIONS)
    assert [n["id"] for n in found["home-care"]] == ["hc-101", "hc-102"]
    assert found["home-care"][1]["name"] == "Оспанов, Марат"
    assert found["home-care"][1]["description"] == {"kk": "Тәжірибе", "en": "Experience"}


def test_excel_russian_semicolons_with_a_byte_order_mark_are_read():
    excel = "\ufeff" + GOOD.replace('"Оспанов, Марат"', "Оспанов Марат").replace(",", ";").replace("\n", "\r\n")
    found = parse_finalists(excel.encode("utf-8"), NOMINATIONS)
    assert found["rehab"][0]["organization"] == "Реабилитационный центр"
    assert found["home-care"][1]["name"] == "Оспанов Марат"


def test_columns_may_come_in_any_order_and_case():
    sheet = "ID,Nomination,Name,Region,Organization,Description_RU,Description_KK,Description_EN\nx-1,rehab,A,B,C,,,\n"
    assert parse_finalists(sheet.encode(), NOMINATIONS)["rehab"][0]["id"] == "x-1"


def test_every_bad_row_is_reported_with_its_line_number():
    sheet = HEADER + (
        "home-care,hc-1,Good Person,Алматы,Org,,,\n"
        "home-care,bad id!,Name,Алматы,Org,,,\n"
        "nowhere,hc-3,Name,Алматы,Org,,,\n"
        "rehab,hc-1,Name,Алматы,Org,,,\n"
        "rehab,rh-5,,Алматы,Org,,,\n"
        "rehab,rh-6,Name,Алматы\n"
    )
    with pytest.raises(FinalistsError) as refused:
        parse_finalists(sheet.encode(), NOMINATIONS)
    problems = refused.value.problems
    assert [p.split(":")[0] for p in problems] == ["line 3", "line 4", "line 5", "line 6", "line 7"]
    assert "id" in problems[0] and "nowhere" in problems[1] and "repeats line 2" in problems[2]
    assert "name" in problems[3] and "4 cells" in problems[4]


def test_a_file_of_bad_rows_stops_at_the_first_hundred_problems():
    with pytest.raises(FinalistsError) as refused:
        parse_finalists((HEADER + "a\n" * 100_000).encode(), NOMINATIONS)
    found = refused.value.found
    assert len(found) == MAX_PROBLEMS and (found[0].line, found[-1].line) == (2, MAX_PROBLEMS + 1)


def test_a_header_of_many_unknown_columns_reports_at_most_a_hundred():
    header = HEADER.rstrip("\n") + "".join(f",extra{n}" for n in range(50_000)) + "\n"
    with pytest.raises(FinalistsError) as refused:
        parse_finalists(header.encode(), NOMINATIONS)
    assert len(refused.value.found) == MAX_PROBLEMS
    assert {problem.kind for problem in refused.value.found} == {"unknown_column"}


def test_line_numbers_count_physical_lines_of_multiline_cells():
    sheet = HEADER + 'rehab,rh-1,"Two\nlines",Алматы,Org,,,\nrehab,rh-1,Again,Алматы,Org,,,\n'
    with pytest.raises(FinalistsError) as refused:
        parse_finalists(sheet.encode(), NOMINATIONS)
    assert refused.value.problems == ["line 4: id 'rh-1' repeats line 2"]


def test_missing_or_unknown_columns_are_reported_on_line_one():
    with pytest.raises(FinalistsError) as refused:
        parse_finalists(b"nomination,id,name,town\nrehab,x,y,z\n", NOMINATIONS)
    problems = refused.value.problems
    assert problems[0].startswith("line 1: missing column region")
    assert all(p.startswith("line 1: ") for p in problems)
    assert any("unknown column 'town'" in p for p in problems)


def test_text_that_is_not_utf8_is_refused_with_its_line():
    with pytest.raises(FinalistsError) as refused:
        parse_finalists((HEADER + "rehab,x,Имя,Б,В,,,\n").encode("cp1251"), NOMINATIONS)
    assert refused.value.problems[0].startswith("line 2: not UTF-8")


def test_empty_file_is_refused():
    with pytest.raises(FinalistsError):
        parse_finalists(b"", NOMINATIONS)
    with pytest.raises(FinalistsError):
        parse_finalists(HEADER.encode(), NOMINATIONS)


def test_contest_file_takes_the_spreadsheets_finalists():
    document = contest_file()
    contest = parse_contest(with_finalists(document, GOOD.encode()))
    assert [n.id for n in contest.nominations[0].nominees] == ["hc-101", "hc-102"]
    assert contest.nominations[0].title["ru"] == "Надомное обслуживание"


def test_nomination_left_without_finalists_is_an_error():
    with pytest.raises(FinalistsError) as refused:
        with_finalists(contest_file(), (HEADER + "home-care,hc-1,A,B,C,,,\n").encode())
    assert refused.value.problems == ["nomination 'rehab' has no finalists in the file"]
