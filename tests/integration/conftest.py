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
    """The storage module pointed at the stack's server, to load contests and read votes back
    (again for every test: other tests point the module elsewhere)."""
    from chalicelib import storage
    from chalicelib.config import StorageLocation

    location = StorageLocation.from_environment(stack.environment())
    storage.configure(location.table_prefix, location.endpoint, location.region)
    return storage


def new_contest(stack_storage, contest_id: str) -> str:
    from chalicelib.contest import parse_contest
    from tests.conftest import contest_file

    now = datetime.now(UTC)
    contest = parse_contest(contest_file(contest_id, opens=now - timedelta(minutes=1), closes=now + timedelta(days=1)))
    stack_storage.save_contest(contest, now)
    return contest_id


def call(method: str, url: str, body: object = None) -> tuple[int, dict]:
    return http(method, url, body)
