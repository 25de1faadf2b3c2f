"""The local stack as `make run` starts it (dynalite, the API over HTTP, the NCALayer stand-in),
on free ports and in a temporary folder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devtools.stack import LocalStack, free_port
from devtools.vote import http


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    with LocalStack(tmp_path_factory.mktemp("stack"), api_port=free_port(), dynamodb_port=free_port(),
                    ncalayer_port=free_port(), with_demo=True, quiet=True) as running:
        yield running


@pytest.fixture
def stack_storage(stack):
    """The store on the stack's server, to load contests and read votes back."""
    from chalicelib.runtime import Runtime
    from chalicelib.settings import Settings

    return Runtime(Settings.from_environment(stack.environment())).store


def new_contest(stack_storage, contest_id: str) -> str:
    from chalicelib.voting.contest import parse_contest
    from tests.conftest import contest_file

    now = datetime.now(UTC)
    contest = parse_contest(contest_file(contest_id, opens=now - timedelta(minutes=1), closes=now + timedelta(days=1)))
    assert stack_storage.create_contest(contest, now)
    return contest_id


def call(method: str, url: str, body: object = None) -> tuple[int, dict]:
    return http(method, url, body)
