"""The scheduled functions as EventBridge calls them: what they log and the metrics they emit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib import runtime
from chalicelib.voting.contest import parse_contest
from chalicelib.voting.records import StorageUnavailable
from devtools.closer import scheduled_event
from tests.conftest import NOW, ROOT, Clock, contest_file, make_runtime


@pytest.fixture
def invoke():
    from chalice.test import Client

    import app as application

    with Client(application.app, project_dir=str(ROOT)) as client:
        yield lambda name: client.lambda_.invoke(name, scheduled_event()).payload


def lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def test_the_closer_logs_each_contest_it_tallies(invoke, memory_store, pki, capsys):
    clock = Clock(NOW + timedelta(days=5, minutes=2))
    wired = make_runtime(pki, clock, memory_store)
    memory_store.create_contest(parse_contest(contest_file()), NOW)
    runtime.install(wired)
    assert [o["state"] for o in invoke("close_contests")] == ["tallied"]
    [closed] = [line for line in lines(capsys) if line.get("event") == "contest_closed"]
    assert (closed["contest"], closed["total"], closed["level"]) == ("best-social-worker-2025", 0, "INFO")


def test_a_scheduled_run_logs_with_its_invocation_s_function_and_request_id(invoke, memory_store, pki, capsys):
    runtime.install(make_runtime(pki, Clock(NOW + timedelta(days=5, minutes=2)), memory_store))
    memory_store.create_contest(parse_contest(contest_file()), NOW)
    invoke("close_contests")
    [closed] = [line for line in lines(capsys) if line.get("event") == "contest_closed"]
    assert closed["function_name"] == "close_contests" and closed["function_request_id"]


def test_a_failed_tally_is_an_error_line_and_the_contest_stays_closed(invoke, memory_store, pki, capsys, monkeypatch):
    wired = make_runtime(pki, Clock(NOW + timedelta(days=5, minutes=2)), memory_store)
    memory_store.create_contest(parse_contest(contest_file()), NOW)
    runtime.install(wired)

    def crash(*args):
        raise StorageUnavailable("throttled")

    monkeypatch.setattr(memory_store, "store_result", crash)
    assert invoke("close_contests")[0]["state"] == "failed"
    [failed] = [line for line in lines(capsys) if line.get("event") == "tally_failed"]
    assert (failed["level"], failed["detail"]) == ("ERROR", "StorageUnavailable: throttled")
    assert memory_store.get_contest("best-social-worker-2025").state == "closed"


def test_the_crl_refresh_reports_an_unreachable_source_as_a_metric(invoke, pki, tmp_path, capsys, monkeypatch):
    import boto3
    from moto import mock_aws

    (tmp_path / "root.pem").write_bytes(pki.root.pem)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "t")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "t")
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="crls")
        wired = make_runtime(pki, Clock(), None, trust_dir=str(tmp_path), crl_bucket="crls",
                             crl_urls=("http://127.0.0.1:9/nca.crl",))
        runtime.install(wired)
        assert invoke("refresh_crls") == {"read": 0, "unchanged": 0, "failed": 1, "older": 0, "written": 0}
    output = lines(capsys)
    [metric] = [line for line in output if "_aws" in line]
    assert metric["CrlRefreshFailed"] == [1.0] and metric["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["stage"]]
    [failed] = [line for line in output if line.get("event") == "crl_refresh_failed"]
    assert (failed["url"], failed["reason"]) == ("http://127.0.0.1:9/nca.crl", "unreachable")


def test_the_crl_refresh_writes_each_cas_index_and_logs_it(invoke, pki, tmp_path, capsys):
    for name, ca in (("root.pem", pki.root), ("nca.pem", pki.intermediate)):
        (tmp_path / "trust").mkdir(exist_ok=True)
        (tmp_path / "trust" / name).write_bytes(ca.pem)
    (tmp_path / "crl").mkdir()
    for n, crl in enumerate(pki.crls()):
        (tmp_path / "crl" / f"{n}.crl").write_bytes(crl)
    wired = make_runtime(pki, Clock(), None, trust_dir=str(tmp_path / "trust"), crl_dir=str(tmp_path / "crl"),
                         crl_index_dir=str(tmp_path / "crl-index"))
    runtime.install(wired)
    assert invoke("refresh_crls") == {"read": 2, "unchanged": 0, "failed": 0, "older": 0, "written": 2}
    output = lines(capsys)
    written = [line for line in output if line.get("event") == "crl_index_written"]
    assert sorted(line["issuer"] for line in written) == ["C=KZ,CN=TEST NCA (RSA)", "C=KZ,CN=TEST ROOT (RSA)"]
    [age] = [line["RevocationIndexAge"] for line in output if "RevocationIndexAge" in line]
    assert age == [timedelta(days=1).total_seconds()]  # pki.crls(): issued a day before the clock's NOW
    assert invoke("refresh_crls")["unchanged"] == 2  # the next run reads nothing again


def test_the_schedules_run_every_minute_and_every_fifteen_minutes():
    import app as application

    rates = {s.name: s.schedule_expression.to_string() for s in application.app.event_sources if hasattr(s, "name")}
    assert (rates["close_contests"], rates["refresh_crls"]) == ("rate(1 minute)", "rate(15 minutes)")
