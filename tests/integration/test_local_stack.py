"""`make run` twice on the same folder: the second start keeps every vote and the one demo."""

from __future__ import annotations

import pytest

from devtools.stack import LocalStack, free_port
from devtools.vote import cast, http

pytestmark = pytest.mark.integration


def start(folder) -> LocalStack:
    return LocalStack(folder, api_port=free_port(), dynamodb_port=free_port(), ncalayer_port=free_port(),
                      quiet=True).start()


def test_restarted_stack_keeps_the_vote_and_does_not_duplicate_the_demo(tmp_path):
    first = start(tmp_path)
    try:
        status, vote = cast(first.api, None, None, "900101300888", first.ncalayer)
        assert status == 201
    finally:
        first.stop()
    assert first.processes == []
    lines: list[str] = []
    second = LocalStack(tmp_path, api_port=free_port(), dynamodb_port=free_port(), ncalayer_port=free_port(),
                        quiet=True)
    try:
        second.start(lines.append)
        assert http("GET", f"{second.api}/receipts/{vote['receipt']}")[1]["nominee"] == vote["nominee"]
        assert [c["id"] for c in http("GET", f"{second.api}/contests")[1]["contests"]] == ["best-social-worker-demo"]
        assert any("already there (kept)" in line for line in lines)
    finally:
        second.stop()
