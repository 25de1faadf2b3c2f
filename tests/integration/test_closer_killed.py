"""The closer killed (SIGKILL) in the middle of a tally on the real local server, then run again:
the contest stays closed and untallied in between, and the second run stores the digest an
outsider computes from the votes themselves."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.voting.clock import iso_utc
from chalicelib.voting.contest import Contest, parse_contest
from chalicelib.voting.records import StorageUnavailable, VoteRecord
from devtools.stack import LocalStack, free_port
from tests.conftest import ROOT, contest_file

pytestmark = pytest.mark.integration
CONTEST = "closer-killed"
VOTES = 10_000
NOMINEES = ["hc-001", "hc-002", "rh-001"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A local stack of this test's own: the killed closer's unfinished scans, and the 10,000
    votes, burden no other test's server, and no other test's data burdens this tally."""
    with LocalStack(tmp_path_factory.mktemp("closer-killed"), api_port=free_port(), dynamodb_port=free_port(),
                    ncalayer_port=free_port(), quiet=True) as running:
        yield running


def closer(stack) -> subprocess.Popen:
    environment = {**stack.environment(), "VOTING_CLOSE_GRACE_SECONDS": "1"}
    return subprocess.Popen([sys.executable, "-m", "devtools.closer", "--every", "3600"],
                            cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def read_contest(storage, seconds: float = 240) -> Contest:
    """The contest, read patiently: the store's timeouts are the Lambda's (3 s, two retries), and a
    shared server still busy with the killed closer's scans on a loaded machine can outlast them."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return storage.get_contest(CONTEST)
        except StorageUnavailable:
            assert time.monotonic() < deadline, "the local server did not answer"
            time.sleep(0.5)


def wait_for_state(storage, state: str, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while read_contest(storage).state != state:
        assert time.monotonic() < deadline, f"the contest never became {state}"
        time.sleep(0.02)


def test_closer_killed_mid_tally_then_run_again_stores_the_digest_of_the_votes(stack, stack_storage):
    now = datetime.now(UTC)
    closes = now + timedelta(seconds=30)
    stack_storage.create_contest(parse_contest(contest_file(CONTEST, opens=now - timedelta(minutes=1), closes=closes)),
                                 now)
    cast_at = iso_utc(now)
    records = [VoteRecord(contest=CONTEST, voter=f"v{i:06d}", receipt=f"R{i:06d}", nominee=NOMINEES[i % 3],
                          nomination="home-care" if i % 3 < 2 else "rehab", cast_at=cast_at, algorithm="RSA/SHA-256",
                          evidence=b"sealed elsewhere")
               for i in range(VOTES)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        assert all(result is None for result in pool.map(stack_storage.record_vote, records))
    expected = hashlib.sha256(
        "".join(sorted(f"{r.receipt},{r.nominee}\n" for r in records)).encode()).hexdigest()
    time.sleep(max(0.0, (closes - datetime.now(UTC)).total_seconds()) + 1.5)

    first = closer(stack)
    try:
        wait_for_state(stack_storage, "closed")  # closed, and now counting
        os.kill(first.pid, signal.SIGKILL)
    finally:
        first.wait()
    killed = read_contest(stack_storage)
    assert (killed.state, killed.result) == ("closed", None)

    second = closer(stack)
    try:
        wait_for_state(stack_storage, "tallied")
    finally:
        second.terminate()
        second.wait()
    result = read_contest(stack_storage).result
    assert (result.total, result.digest) == (VOTES, expected)
    assert result.nominees == {"hc-001": 3334, "hc-002": 3333, "rh-001": 3333}
