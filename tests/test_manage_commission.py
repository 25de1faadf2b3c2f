"""The operator CLI after the vote: close, results (text, JSON, CSV), the sealed evidence and its
audit with the commission's key, the commission's key pair, and load-contest with the finalists'
spreadsheet."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine

import manage
from chalicelib.adapters.evidence_keys import read_key_file
from chalicelib.voting.ballot import ballot_bytes
from chalicelib.voting.clock import iso_utc
from chalicelib.voting.contest import parse_contest
from chalicelib.voting.evidence import SealedVote, parse_evidence_line, sealed_line
from chalicelib.voting.records import VoteRecord
from chalicelib.voting.seal import Binding
from tests.conftest import (
    NOW,
    a_challenge,
    commission_key,
    commission_sealer,
    contest_file,
    readable_identity,
    write_commission_key,
)

CONTEST = "best-social-worker-2025"
CLOSES = NOW + timedelta(days=5)
AFTER_GRACE = CLOSES + timedelta(minutes=2)
HEADER = "nomination;id;name;region;organization;description_kk;description_ru;description_en\n"



@pytest.fixture(autouse=True)
def aws_like_stage(monkeypatch):
    """The CLI against the prod stage's settings: DynamoDB under moto stands for AWS; with dynalite
    the shell's VOTING_DYNAMODB_ENDPOINT names it. Never the local stack of this machine."""
    monkeypatch.setenv("VOTING_STAGE", "prod")

@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def contest(dynamo_store, pki, clock, monkeypatch, tmp_path):
    """An open contest with four signed votes stored, the test PKI as the trust folder (both CAs, as
    the CRLs' issuers must be there) and its CRLs as the CRL folder."""
    dynamo_store.create_contest(parse_contest(contest_file()), NOW - timedelta(days=1))
    for i, nominee in enumerate(["hc-001", "hc-001", "hc-002", "rh-001"]):
        cms = pki.sign(ballot_bytes(CONTEST, nominee, a_challenge(CONTEST, NOW - timedelta(minutes=1))),
                       pki.voter(f"90010130100{i}"), signing_time=NOW)
        binding = Binding(CONTEST, f"voter-{i}", f"RCPT-{i:04d}", nominee, iso_utc(NOW))
        dynamo_store.record_vote(VoteRecord(CONTEST, binding.voter, binding.receipt, nominee, "x", binding.cast_at,
                                            "RSA/SHA-256", commission_sealer().seal(binding, cms)))
    trust = tmp_path / "trust"
    trust.mkdir()
    (trust / "root.der").write_bytes(pki.root.der)
    (trust / "nca.der").write_bytes(pki.intermediate.der)
    crls = tmp_path / "crl"
    crls.mkdir()
    for n, crl in enumerate(pki.crls()):
        (crls / f"{n}.crl").write_bytes(crl)
    monkeypatch.setenv("VOTING_TRUST_DIR", str(trust))
    monkeypatch.setenv("VOTING_CRL_DIR", str(crls))
    for name in ("VOTING_CRL_INDEX_DIR", "VOTING_CRL_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VOTING_EVIDENCE_KEY_FILE", str(write_commission_key(tmp_path / "commission-private.pem")))
    for name in ("VOTING_EVIDENCE_KMS_KEY", "VOTING_EVIDENCE_KEY_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    return dynamo_store


def tallied(clock, capsys) -> None:
    clock.move_to(AFTER_GRACE)
    assert manage.main(["close", CONTEST]) == 0
    capsys.readouterr()


def test_close_ends_voting_now_and_says_when_the_tally_runs(contest, clock, capsys):
    clock.move_to(NOW + timedelta(hours=2))
    assert manage.main(["close", CONTEST]) == 0
    out = capsys.readouterr().out
    assert "closed, voting ends 2026-03-10 16:00 (Astana, UTC+5)" in out  # after the notice (10 s)
    assert "(early: it was to close 2026-03-15 14:00 (Astana, UTC+5))" in out
    assert "the tally runs from 2026-03-10 16:02 (Astana, UTC+5)" in out
    assert contest.get_contest(CONTEST).contest.closes_at == NOW + timedelta(hours=2, seconds=10)  # the notice


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
    assert "final, 4 votes, voting ended 2026-03-15 14:00 (Astana, UTC+5), counted 2026-03-15 14:02" in out
    assert "\n  2  hc-001  Айгүл Сейтқали\n" in out
    assert "\nРеабилитация (1 vote)\n" in out


def test_results_of_an_open_contest_say_when_voting_ends_and_that_the_count_is_so_far(contest, clock, capsys):
    assert manage.main(["results", CONTEST]) == 0
    out = capsys.readouterr().out
    assert "provisional, 4 votes, voting ends 2026-03-15 14:00 (Astana, UTC+5), counted so far at" in out


def test_results_columns_stay_aligned_for_long_ids(contest, clock, capsys):
    document = contest_file("long-ids")
    document["nominations"][0]["nominees"][0]["id"] = "hc-001-a-rather-long-identifier"
    contest.create_contest(parse_contest(document), NOW)
    assert manage.main(["results", "long-ids"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")]
    assert len({row.index(name) for row, name in zip(rows, ["Айгүл", "Марат", "Елена"], strict=True)}) == 1


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
    assert out.startswith('\ufeff"Конкурс",'.encode())
    assert '\r\n"Итоги","окончательные"\r\n'.encode() in out
    assert '\r\n\r\n"Номинация","Кандидат","Регион","Организация","Голоса","Доля, %"\r\n'.encode() in out
    assert '"Надомное обслуживание","Айгүл Сейтқали","Алматы","ТЦСО №1","2","66.67"'.encode() in out


def exported(clock, capsys, tmp_path) -> Path:
    tallied(clock, capsys)
    evidence = tmp_path / "evidence.jsonl"
    assert manage.main(["evidence", CONTEST, str(evidence)]) == 0
    capsys.readouterr()
    return evidence


def test_evidence_then_audit_passes_and_matches_the_published_result(contest, clock, capsys, tmp_path):
    tallied(clock, capsys)
    evidence, published = tmp_path / "evidence.jsonl", tmp_path / "results.json"
    assert manage.main(["evidence", CONTEST, str(evidence)]) == 0
    assert capsys.readouterr().out == f"4 counted votes written to {evidence} (sealed)\n"
    manage.main(["results", CONTEST, "--json"])
    published.write_text(capsys.readouterr().out, encoding="utf-8")
    assert manage.main(["audit", str(evidence), "--results", str(published)]) == 0
    captured = capsys.readouterr()
    assert "RESULT: OK" in captured.out and "compared with the published results: yes" in captured.out
    assert f"commission key:     {commission_key().key_id.hex()}" in captured.out
    assert "opened and bound:   4" in captured.out
    assert "audit: 100% (4/4 records)" in captured.err  # not a terminal: one line every tenth, no bar
    assert "\r" not in captured.err
    assert "  2  Айгүл Сейтқали (hc-001)" in captured.out  # names from the published results


def test_evidence_cut_short_by_the_storage_leaves_the_earlier_file_and_no_partial_one(contest, clock, capsys,
                                                                                     tmp_path, monkeypatch):
    from chalicelib.voting.commission import Commission
    from chalicelib.voting.records import StorageUnavailable

    evidence = exported(clock, capsys, tmp_path)
    complete = evidence.read_bytes()
    every_vote = Commission.sealed_votes

    def throttled_halfway(self, contest_id):
        votes = every_vote(self, contest_id)
        yield next(votes)
        raise StorageUnavailable("throttled")

    monkeypatch.setattr(Commission, "sealed_votes", throttled_halfway)
    assert manage.main(["evidence", CONTEST, str(evidence)]) != 0
    assert evidence.read_bytes() == complete
    assert not evidence.with_name("evidence.jsonl.partial").exists()


def test_the_exported_file_names_no_voter(contest, pki, clock, capsys, tmp_path):
    evidence = exported(clock, capsys, tmp_path)
    data = evidence.read_bytes()
    data += b"".join(base64.b64decode(json.loads(line)["sealed"]) for line in data.splitlines())
    for i in range(4):
        assert readable_identity(data, pki.voter(f"90010130100{i}")) == []


def test_evidence_opened_with_the_commissions_key_holds_the_cms_in_a_private_file(contest, pki, clock, capsys,
                                                                                 tmp_path):
    tallied(clock, capsys)
    out = tmp_path / "opened.jsonl"
    assert manage.main(["evidence", CONTEST, str(out), "--open"]) == 0
    assert "opened: keep this file with the commission" in capsys.readouterr().out
    assert out.stat().st_mode & 0o777 == 0o600
    votes = [parse_evidence_line(line) for line in out.read_text().splitlines()]
    assert all(readable_identity(v.cms, pki.voter(f"90010130100{i}")) for i, v in
               enumerate(sorted(votes, key=lambda v: v.receipt)))


def test_audit_with_another_commissions_key_fails_naming_both_keys(contest, clock, capsys, tmp_path, monkeypatch):
    evidence = exported(clock, capsys, tmp_path)
    monkeypatch.setenv("VOTING_EVIDENCE_KEY_FILE", str(write_commission_key(tmp_path / "other.pem", "other")))
    assert manage.main(["audit", str(evidence)]) == 1
    captured = capsys.readouterr()
    given, sealed_to = commission_key("other").key_id.hex(), commission_key().key_id.hex()
    assert f"4 record(s) are sealed to commission key {sealed_to}, not to the key given ({given})" in captured.out
    assert (f"error: the key given ({given}) does not open this evidence: it is sealed to commission key "
            f"{sealed_to}") in captured.err


def test_audit_fails_naming_the_receipt_of_a_sealed_record_moved_to_another_vote(contest, clock, capsys, tmp_path):
    evidence = exported(clock, capsys, tmp_path)
    records = [json.loads(line) for line in evidence.read_text().splitlines()]
    first, second = records[0], records[1]
    first["sealed"], second["sealed"] = second["sealed"], first["sealed"]
    evidence.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert manage.main(["audit", str(evidence)]) == 1
    out = capsys.readouterr().out
    assert "RESULT: FAILED — 2 problem(s)" in out
    assert f"(receipt {first['receipt']}): cannot open (the sealed evidence does not belong to this vote" in out
    assert f"(receipt {second['receipt']}): cannot open" in out


def test_audit_exits_non_zero_on_a_record_whose_nominee_was_changed(contest, clock, capsys, tmp_path):
    evidence = exported(clock, capsys, tmp_path)
    lines = evidence.read_text().splitlines(keepends=True)
    record = json.loads(lines[0])
    record["nominee"] = "hc-002" if record["nominee"] != "hc-002" else "hc-001"
    evidence.write_text(json.dumps(record) + "\n" + "".join(lines[1:]))
    assert manage.main(["audit", str(evidence)]) == 1
    assert "RESULT: FAILED" in capsys.readouterr().out


def test_audit_exits_non_zero_on_a_duplicated_voter(contest, pki, clock, capsys, tmp_path):
    evidence = exported(clock, capsys, tmp_path)
    again = pki.sign(ballot_bytes(CONTEST, "rh-001", a_challenge(CONTEST, NOW - timedelta(minutes=1))),
                     pki.voter("900101301000", key_kind="ec256"), signing_time=NOW)
    copy = SealedVote("RCPT-COPY", CONTEST, "voter-copy", "rh-001", iso_utc(NOW), b"")
    copy = dataclasses.replace(copy, sealed=commission_sealer().seal(copy.binding(), again))
    with evidence.open("a") as out:
        out.write(sealed_line(copy))
    assert manage.main(["audit", str(evidence)]) == 1
    assert "the same person (IIN) already voted on line" in capsys.readouterr().out


def test_audit_with_a_passphrase_protected_key_file(contest, clock, capsys, tmp_path, monkeypatch):
    evidence = exported(clock, capsys, tmp_path)
    locked = write_commission_key(tmp_path / "locked.pem", passphrase="correct horse battery")
    monkeypatch.setenv("VOTING_EVIDENCE_KEY_FILE", str(locked))
    monkeypatch.setenv("VOTING_EVIDENCE_KEY_PASSPHRASE", "correct horse battery")
    assert manage.main(["audit", str(evidence)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("VOTING_EVIDENCE_KEY_PASSPHRASE", "wrong")
    assert manage.main(["audit", str(evidence)]) == 2
    assert "or the passphrase is wrong" in capsys.readouterr().err


def test_audit_without_the_commissions_key_is_refused(contest, monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("VOTING_EVIDENCE_KEY_FILE")
    (tmp_path / "e.jsonl").write_text("")
    assert manage.main(["audit", str(tmp_path / "e.jsonl")]) == 2
    assert "VOTING_EVIDENCE_KMS_KEY" in capsys.readouterr().err


def test_audit_without_a_trust_folder_is_refused(contest, monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("VOTING_TRUST_DIR")
    (tmp_path / "e.jsonl").write_text("")
    assert manage.main(["audit", str(tmp_path / "e.jsonl")]) == 2
    assert "VOTING_TRUST_DIR" in capsys.readouterr().err


def test_evidence_key_writes_a_key_pair_and_prints_the_public_key_to_configure(capsys, tmp_path):
    assert manage.main(["evidence-key", str(tmp_path / "ceremony"), "--no-passphrase"]) == 0
    out = capsys.readouterr().out
    public = (tmp_path / "ceremony" / "commission-public.pem").read_text()
    assert public.strip() in out and "set VOTING_EVIDENCE_KEY of the stage" in out
    assert (tmp_path / "ceremony" / "commission-private.pem").stat().st_mode & 0o777 == 0o600
    key = read_key_file(str(tmp_path / "ceremony" / "commission-private.pem"))
    assert f"commission key {key.key_id.hex()}" in out


def test_evidence_key_protects_the_private_key_with_the_passphrase(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("VOTING_EVIDENCE_KEY_PASSPHRASE", "a long passphrase for the key")
    assert manage.main(["evidence-key", str(tmp_path)]) == 0
    private = str(tmp_path / "commission-private.pem")
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "commission-private.pem").read_bytes()
    assert read_key_file(private, "a long passphrase for the key").key_id.hex() in capsys.readouterr().out


def test_evidence_key_never_overwrites_a_key(capsys, tmp_path):
    assert manage.main(["evidence-key", str(tmp_path), "--no-passphrase"]) == 0
    before = (tmp_path / "commission-private.pem").read_bytes()
    assert manage.main(["evidence-key", str(tmp_path), "--no-passphrase"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "commission-private.pem").read_bytes() == before


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
