"""The operator CLI after the vote: close, results (text, JSON, CSV), evidence, audit, and
load-contest with the finalists' spreadsheet."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine

import manage
from chalicelib.voting.ballot import ballot_bytes
from chalicelib.voting.clock import iso_utc
from chalicelib.voting.contest import parse_contest
from chalicelib.voting.records import VoteRecord
from tests.conftest import NOW, contest_file

CONTEST = "best-social-worker-2025"
CLOSES = NOW + timedelta(days=5)
AFTER_GRACE = CLOSES + timedelta(minutes=2)
HEADER = "nomination;id;name;region;organization;description_kk;description_ru;description_en\n"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def contest(dynamo_store, pki, clock, monkeypatch, tmp_path):
    """An open contest with four signed votes stored, and the test PKI as the trust folder."""
    dynamo_store.create_contest(parse_contest(contest_file()), NOW - timedelta(days=1))
    for i, nominee in enumerate(["hc-001", "hc-001", "hc-002", "rh-001"]):
        cms = pki.sign(ballot_bytes(CONTEST, nominee, "c1.0.x.y"), pki.voter(f"90010130100{i}"))
        dynamo_store.record_vote(VoteRecord(CONTEST, f"voter-{i}", f"RCPT-{i:04d}", nominee, "x", iso_utc(NOW), "01",
                                        "CN=X", "RSA/SHA-256", cms))
    trust = tmp_path / "trust"
    trust.mkdir()
    (trust / "root.der").write_bytes(pki.root.der)
    monkeypatch.setenv("VOTING_TRUST_DIR", str(trust))
    monkeypatch.delenv("VOTING_CRL_DIR", raising=False)
    return dynamo_store


def tallied(clock, capsys) -> None:
    clock.move_to(AFTER_GRACE)
    assert manage.main(["close", CONTEST]) == 0
    capsys.readouterr()


def test_close_ends_voting_now_and_says_when_the_tally_runs(contest, clock, capsys):
    clock.move_to(NOW + timedelta(hours=2))
    assert manage.main(["close", CONTEST]) == 0
    out = capsys.readouterr().out
    assert "closed" in out and iso_utc(NOW + timedelta(hours=2, minutes=2)) in out
    assert contest.get_contest(CONTEST).contest.closes_at == NOW + timedelta(hours=2)


def test_close_after_the_grace_tallies(contest, clock, capsys):
    clock.move_to(AFTER_GRACE)
    assert manage.main(["close", CONTEST]) == 0
    assert "tallied, 4 votes, digest" in capsys.readouterr().out
    assert contest.get_contest(CONTEST).state == "tallied"


def test_close_of_an_unknown_contest_fails(contest, capsys):
    assert manage.main(["close", "nope"]) == 2
    assert "contest_not_found" in capsys.readouterr().err


def test_results_print_a_table_of_the_final_counts(contest, clock, capsys):
    tallied(clock, capsys)
    assert manage.main(["results", CONTEST]) == 0
    out = capsys.readouterr().out
    assert "final, 4 votes" in out
    assert "       2  hc-001       Айгүл Сейтқали" in out


def test_results_json_is_the_api_shape(contest, clock, capsys):
    tallied(clock, capsys)
    manage.main(["results", CONTEST, "--json"])
    document = json.loads(capsys.readouterr().out)
    assert (document["status"], document["total"], document["nominations"][1]["total"]) == ("final", 4, 1)


def test_results_csv_is_utf8_with_a_bom(contest, clock, capsysbinary):
    clock.move_to(AFTER_GRACE)
    manage.main(["close", CONTEST])
    capsysbinary.readouterr()
    assert manage.main(["results", CONTEST, "--csv"]) == 0
    out = capsysbinary.readouterr().out
    assert out.startswith(b"\xef\xbb\xbfnomination,nominee,region,organization,votes,share\r\n")
    assert "Надомное обслуживание,Айгүл Сейтқали,Алматы,ТЦСО №1,2,66.67".encode() in out


def test_evidence_then_audit_passes_and_matches_the_published_result(contest, clock, capsys, tmp_path):
    tallied(clock, capsys)
    evidence, published = tmp_path / "evidence.jsonl", tmp_path / "results.json"
    assert manage.main(["evidence", CONTEST, str(evidence)]) == 0
    assert capsys.readouterr().out == f"4 counted votes written to {evidence}\n"
    manage.main(["results", CONTEST, "--json"])
    published.write_text(capsys.readouterr().out, encoding="utf-8")
    assert manage.main(["audit", str(evidence), "--results", str(published)]) == 0
    captured = capsys.readouterr()
    assert "RESULT: OK" in captured.out and "compared with the published results: yes" in captured.out
    assert "100% 4/4" in captured.err


def test_audit_exits_non_zero_on_a_tampered_line(contest, clock, capsys, tmp_path):
    tallied(clock, capsys)
    evidence = tmp_path / "evidence.jsonl"
    manage.main(["evidence", CONTEST, str(evidence)])
    lines = evidence.read_text().splitlines(keepends=True)
    record = json.loads(lines[0])
    record["nominee"] = "hc-002" if record["nominee"] != "hc-002" else "hc-001"
    evidence.write_text(json.dumps(record) + "\n" + "".join(lines[1:]))
    assert manage.main(["audit", str(evidence)]) == 1
    assert "RESULT: FAILED" in capsys.readouterr().out


def test_audit_exits_non_zero_on_a_duplicated_voter(contest, clock, capsys, tmp_path):
    tallied(clock, capsys)
    evidence = tmp_path / "evidence.jsonl"
    manage.main(["evidence", CONTEST, str(evidence)])
    lines = evidence.read_text().splitlines(keepends=True)
    record = json.loads(lines[0])
    record["receipt"] = "RCPT-COPY"
    evidence.write_text("".join(lines) + json.dumps(record) + "\n")
    assert manage.main(["audit", str(evidence)]) == 1
    assert "the same person (IIN) already voted on line 1" in capsys.readouterr().out


def test_audit_without_a_trust_folder_is_refused(contest, monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("VOTING_TRUST_DIR")
    (tmp_path / "e.jsonl").write_text("")
    assert manage.main(["audit", str(tmp_path / "e.jsonl")]) == 2
    assert "VOTING_TRUST_DIR" in capsys.readouterr().err


def test_load_contest_takes_finalists_from_a_semicolon_spreadsheet(dynamo_store, capsys, tmp_path):
    document = contest_file(opens=NOW + timedelta(days=3650), closes=NOW + timedelta(days=3655))
    for nomination in document["nominations"]:
        nomination["nominees"] = []
    (tmp_path / "c.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    sheet = (HEADER + "home-care;hc-7;Гүлнар Әбенова;Тараз;ЦСО;Тәжірибе;Опыт;Experience\n"
             "rehab;rh-7;Иван Ли;Кокшетау;РЦ;;;\n")
    (tmp_path / "n.csv").write_bytes(("\ufeff" + sheet).encode())
    assert manage.main(["load-contest", str(tmp_path / "c.json"), "--nominees", str(tmp_path / "n.csv")]) == 0
    assert "created: best-social-worker-2025 (2 nominees, 2 nominations)" in capsys.readouterr().out
    nominee = dynamo_store.get_contest(CONTEST).contest.nominations[0].nominees[0]
    assert (nominee.name, nominee.description["kk"]) == ("Гүлнар Әбенова", "Тәжірибе")


def test_load_contest_reports_every_bad_spreadsheet_row_and_loads_nothing(dynamo_store, capsys, tmp_path):
    (tmp_path / "c.json").write_text(json.dumps(contest_file(opens=NOW + timedelta(days=3650),
                                                             closes=NOW + timedelta(days=3655))), encoding="utf-8")
    (tmp_path / "n.csv").write_text(HEADER + "home-care;hc-7;;Тараз;ЦСО;;;\nrehab;bad id;X;Y;Z;;;\n", encoding="utf-8")
    assert manage.main(["load-contest", str(tmp_path / "c.json"), "--nominees", str(tmp_path / "n.csv")]) == 2
    err = capsys.readouterr().err
    assert "n.csv: line 2: name" in err and "n.csv: line 3: id" in err and "nothing was loaded" in err
    assert dynamo_store.get_contest(CONTEST) is None
