"""The ballot in words for eGov mobile: the contest, the nomination, the nominee and the one vote,
in the app's language, or in all three when it names none."""

import json
import re

import pytest

from chalicelib.voting import ballot_words
from chalicelib.voting.contest import parse_contest
from chalicelib.voting.languages import LANGUAGES
from tests.conftest import contest_file

CONTEST = parse_contest(contest_file())
NOMINATION, NOMINEE = CONTEST.find_nominee("rh-001")


@pytest.mark.parametrize(("language", "start"), [
    ("kk", "Үздік әлеуметтік қызметкер. Сіздің дауысыңыз: Елена Ким, «Оңалту» номинациясы."),
    ("ru", "Лучший социальный работник. Ваш голос: Елена Ким, номинация «Реабилитация»."),
    ("en", "Best social worker. Your vote: Елена Ким, nomination “Rehabilitation”."),
])
def test_the_description_names_contest_nominee_and_nomination_in_the_asked_language(language, start):
    assert ballot_words.description(CONTEST, NOMINATION, NOMINEE, language).startswith(start)


def test_the_description_is_in_all_three_languages_when_none_is_asked():
    lines = ballot_words.description(CONTEST, NOMINATION, NOMINEE, None).split("\n")
    assert lines == [ballot_words.description(CONTEST, NOMINATION, NOMINEE, language) for language in LANGUAGES]


def test_the_description_says_it_is_the_one_vote():
    assert "единственный голос в конкурсе" in ballot_words.description(CONTEST, NOMINATION, NOMINEE, "ru")


def test_the_document_carries_the_ballot_bytes_and_a_name_per_language():
    document = ballot_words.ballot_document(CONTEST, NOMINATION, NOMINEE, b"ballot", "en")
    assert document.data == b"ballot"
    assert (document.name.kk, document.name.ru, document.name.en) == (
        "Дауыс: Елена Ким — «Оңалту» номинациясы, Үздік әлеуметтік қызметкер",
        "Голос за: Елена Ким — номинация «Реабилитация», Лучший социальный работник",
        "Vote for Елена Ким — nomination “Rehabilitation”, Best social worker")


def test_the_meta_lines_are_in_the_asked_language():
    document = ballot_words.ballot_document(CONTEST, NOMINATION, NOMINEE, b"ballot", "ru")
    assert list(document.meta) == [("Конкурс", "Лучший социальный работник"), ("Номинация", "Реабилитация"),
                                   ("Кандидат", "Елена Ким"), ("Регион", "Караганда"),
                                   ("Организация", "Реабилитационный центр"),
                                   ("Голос", "Единственный голос в конкурсе; изменить нельзя")]


def test_a_meta_line_the_same_in_every_language_is_said_once():
    document = ballot_words.ballot_document(CONTEST, NOMINATION, NOMINEE, b"ballot", None)
    assert dict(document.meta)["Номинация · Nomination"] == "Оңалту · Реабилитация · Rehabilitation"


def test_every_language_fills_the_same_places():
    words = json.loads(ballot_words.Path(ballot_words.__file__).with_name("ballot_words.json").read_text())
    for template in (words["description"], words["document"]):
        places = {language: sorted(re.findall(r"\{(\w+)\}", template[language])) for language in LANGUAGES}
        assert places["kk"] == places["ru"] == places["en"] == ["contest", "nomination", "nominee"]
