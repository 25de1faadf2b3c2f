"""The operator CLI: create-tables and load-contest."""

import json
from datetime import UTC, datetime, timedelta

import pytest

import manage
from tests.conftest import NOW, contest_file


@pytest.fixture(autouse=True)
def aws_like_stage(monkeypatch):
    """The CLI against the prod stage's settings: DynamoDB under moto stands for AWS; with dynalite
    the shell's VOTING_DYNAMODB_ENDPOINT names it. Never the local stack of this machine."""
    monkeypatch.setenv("VOTING_STAGE", "prod")

@pytest.fixture
def cli(dynamo_store, monkeypatch, tmp_path):
    def write(document, name="contest.json") -> str:
        path = tmp_path / name
        path.write_text(document if isinstance(document, str) else json.dumps(document, ensure_ascii=False),
                        encoding="utf-8")
        return str(path)

    return write


def future_contest() -> dict:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return contest_file(opens=now + timedelta(days=1), closes=now + timedelta(days=6))


def test_create_tables_is_idempotent(cli, capsys):
    assert manage.main(["create-tables"]) == 0
    assert "already exist" in capsys.readouterr().out


def test_load_contest_creates_it(cli, dynamo_store, capsys):
    assert manage.main(["load-contest", cli(future_contest())]) == 0
    assert "created: best-social-worker-2025 (3 nominees, 2 nominations)" in capsys.readouterr().out
    assert dynamo_store.get_contest("best-social-worker-2025") is not None


def test_a_contest_of_one_nomination_and_one_nominee_is_counted_in_the_singular(cli, capsys):
    document = future_contest()
    document["nominations"] = document["nominations"][1:]
    document["nominations"][0]["nominees"] = document["nominations"][0]["nominees"][:1]
    assert manage.main(["load-contest", cli(document)]) == 0
    assert "created: best-social-worker-2025 (1 nominee, 1 nomination)" in capsys.readouterr().out


def test_loading_the_same_file_twice_changes_nothing(cli, capsys):
    path = cli(future_contest())
    manage.main(["load-contest", path])
    assert manage.main(["load-contest", path]) == 0
    assert "unchanged" in capsys.readouterr().out


def test_bad_file_names_the_field_and_changes_nothing(cli, dynamo_store, capsys):
    document = future_contest()
    document["nominations"][1]["nominees"][0]["id"] = "hc-001"
    assert manage.main(["load-contest", cli(document)]) == 2
    err = capsys.readouterr().err
    assert "nominations[1].nominees[0].id" in err and "nothing was changed" in err
    assert dynamo_store.get_contest("best-social-worker-2025") is None


def test_file_that_is_not_json_is_refused(cli, capsys):
    assert manage.main(["load-contest", cli("{oops")]) == 2
    assert "is not JSON" in capsys.readouterr().err


def test_file_with_a_byte_order_mark_is_read(cli):
    assert manage.main(["load-contest", cli("\ufeff" + json.dumps(future_contest()))]) == 0


def test_missing_file_is_reported(cli, capsys):
    assert manage.main(["load-contest", "/nonexistent/contest.json"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_once_open_only_closes_at_may_move(cli, dynamo_store, capsys):
    from chalicelib.voting.contest import parse_contest

    # Open by the machine's clock (the CLI's).
    opens, closes = datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=30)
    dynamo_store.create_contest(parse_contest(contest_file(opens=opens, closes=closes)), NOW)
    moved = contest_file(opens=opens, closes=closes + timedelta(days=1))
    assert manage.main(["load-contest", cli(moved)]) == 0
    renamed = contest_file(opens=opens, closes=closes + timedelta(days=1))
    renamed["title"]["ru"] = "Другое название"
    assert manage.main(["load-contest", cli(renamed)]) == 2
    assert "only closes_at may change" in capsys.readouterr().err


def test_every_command_that_reaches_the_tables_names_them_first(cli, capsys):
    assert manage.main(["create-tables"]) == 0
    assert capsys.readouterr().err.startswith("target: ")


def test_a_local_stack_that_is_not_running_is_named_with_what_to_do(monkeypatch, capsys):
    from devtools.stack import free_port

    monkeypatch.delenv("VOTING_STAGE")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    nobody = f"http://127.0.0.1:{free_port()}"
    assert manage.main(["--endpoint", nobody, "results", "best-social-worker-2025"]) == 3
    err = capsys.readouterr().err
    assert f"target: the local stack (DynamoDB {nobody}, tables voting-dev-*)" in err
    assert f"error: the local stack (DynamoDB {nobody}, tables voting-dev-*) did not answer" in err
    assert "start it with `make run`" in err and "try again" not in err
