"""The tally: exact counts, the one closing rule, the reproducible digest, bounded memory. Pure."""

from __future__ import annotations

import hashlib
import json
import os
import random
import tempfile
import threading
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.voting.contest import iso_utc, parse_contest
from chalicelib.voting.tally import SortedSpool, TallyError, TallyResult, VoteLine, digest_line, merged_lines, tally
from tests.conftest import NOW, contest_file

CONTEST = parse_contest(contest_file())
CLOSES = CONTEST.closes_at
CLOSES_AT = iso_utc(CLOSES)


def receipt(n: int) -> str:
    text = f"{n:024d}".translate(str.maketrans("0123456789", "ABCDEFGHIJ"))
    return "-".join(text[i:i + 4] for i in range(0, 24, 4))


def votes_for(distribution: dict[str, int], cast_at: str = "2026-03-10T10:00:00.000000Z") -> list[VoteLine]:
    lines, n = [], 0
    for nominee, count in distribution.items():
        for _ in range(count):
            lines.append(VoteLine(receipt(n), nominee, cast_at))
            n += 1
    return lines


def segmented(votes: list[VoteLine]):
    """A scan like DynamoDB's: every vote in exactly one of `total` segments."""

    def scan(segment: int, total: int):
        return [v for i, v in enumerate(votes) if i % total == segment]

    return scan


def independent_digest(votes: list[VoteLine]) -> str:
    return hashlib.sha256("".join(sorted(f"{v.receipt},{v.nominee}\n" for v in votes)).encode()).hexdigest()


def test_counts_are_exact_for_a_known_distribution():
    votes = votes_for({"hc-001": 41, "hc-002": 17, "rh-001": 5})
    random.Random(7).shuffle(votes)
    result = tally(CONTEST, segmented(votes), NOW, workers=8)
    assert result.nominees == {"hc-001": 41, "hc-002": 17, "rh-001": 5}
    assert result.nominations == {"home-care": 58, "rehab": 5}
    assert result.total == 63


def test_nominee_without_votes_is_listed_with_zero():
    result = tally(CONTEST, segmented(votes_for({"hc-001": 2})), NOW, workers=2)
    assert result.nominees["rh-001"] == 0 and result.nominations["rehab"] == 0


def test_vote_one_second_before_closing_counts_and_one_at_closing_does_not():
    early = VoteLine(receipt(1), "hc-001", iso_utc(CLOSES - timedelta(seconds=1)))
    at_close = VoteLine(receipt(2), "hc-002", CLOSES_AT)
    late = VoteLine(receipt(3), "rh-001", iso_utc(CLOSES + timedelta(seconds=1)))
    result = tally(CONTEST, segmented([early, at_close, late]), NOW, workers=3)
    assert (result.total, result.nominees["hc-001"], result.nominees["hc-002"]) == (1, 1, 0)
    assert result.digest == independent_digest([early])


def test_digest_is_sha256_of_the_sorted_receipt_nominee_lines():
    votes = votes_for({"hc-001": 30, "rh-001": 12})
    random.Random(3).shuffle(votes)
    assert tally(CONTEST, segmented(votes), NOW, workers=4).digest == independent_digest(votes)


def test_digest_does_not_depend_on_the_number_of_workers_or_the_scan_order():
    votes = votes_for({"hc-001": 25, "hc-002": 25})
    reversed_votes = list(reversed(votes))
    digests = {tally(CONTEST, segmented(v), NOW, workers=w).digest for v in (votes, reversed_votes) for w in (1, 3, 8)}
    assert len(digests) == 1


def test_digest_of_no_votes_is_the_hash_of_nothing():
    assert tally(CONTEST, segmented([]), NOW).digest == hashlib.sha256(b"").hexdigest()


def test_spilling_to_disk_in_small_runs_gives_the_same_digest():
    votes = votes_for({"hc-001": 300, "rh-001": 77})
    random.Random(11).shuffle(votes)
    assert tally(CONTEST, segmented(votes), NOW, workers=4, run_lines=10).digest == independent_digest(votes)


def test_spool_holds_at_most_run_lines_in_memory_and_merges_sorted():
    spool = SortedSpool(run_lines=5)
    lines = [f"{i:04d},x\n" for i in random.Random(5).sample(range(1000), 23)]
    for line in lines:
        spool.add(line)
        assert len(spool._buffer) < 5
    spool.finish()
    try:
        assert len(spool.runs) == 5
        assert list(merged_lines([spool])) == sorted(lines)
    finally:
        spool.discard()


def test_no_run_file_is_left_behind(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    tally(CONTEST, segmented(votes_for({"hc-001": 50})), NOW, workers=2, run_lines=7)
    assert os.listdir(tmp_path) == []


def test_each_worker_scans_its_own_segment_in_parallel():
    seen: list[tuple[int, int]] = []
    lock = threading.Lock()

    def scan(segment: int, total: int):
        with lock:
            seen.append((segment, total))
        return []

    tally(CONTEST, scan, NOW, workers=8)
    assert sorted(seen) == [(s, 8) for s in range(8)]


def test_a_failing_segment_fails_the_tally():
    def scan(segment: int, total: int):
        if segment == 2:
            raise RuntimeError("segment lost")
        return votes_for({"hc-001": 3})

    with pytest.raises(RuntimeError, match="segment lost"):
        tally(CONTEST, scan, NOW, workers=4)


def test_a_vote_for_a_nominee_the_contest_lacks_stops_the_tally():
    with pytest.raises(TallyError):
        tally(CONTEST, segmented(votes_for({"zz-999": 1})), NOW, workers=1)


def test_turnout_is_counted_per_utc_hour():
    votes = [*votes_for({"hc-001": 2}, "2026-03-10T09:15:00.000000Z"),
             VoteLine(receipt(99), "rh-001", "2026-03-10T11:59:59.999999Z")]
    assert tally(CONTEST, segmented(votes), NOW, workers=2).turnout == {"2026-03-10T09": 2, "2026-03-10T11": 1}


def test_an_earlier_cutoff_gives_a_provisional_count():
    votes = [VoteLine(receipt(1), "hc-001", "2026-03-10T09:00:00.000000Z"),
             VoteLine(receipt(2), "hc-001", "2026-03-11T09:00:00.000000Z")]
    result = tally(CONTEST, segmented(votes), NOW, workers=1, closes_at=NOW + timedelta(hours=1))
    assert result.total == 1 and result.closes_at == iso_utc(NOW + timedelta(hours=1))


def test_result_survives_its_stored_json():
    result = tally(CONTEST, segmented(votes_for({"hc-001": 3, "rh-001": 1})), NOW)
    assert TallyResult.from_json(json.loads(result.dumps())) == result


def test_digest_line_is_receipt_comma_nominee_newline():
    assert digest_line("AAAA-BBBB", "hc-001") == "AAAA-BBBB,hc-001\n"


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["hc-001", "hc-002", "rh-001"]), max_size=60), st.integers(1, 8))
def test_any_distribution_is_counted_exactly_with_any_number_of_workers(choices, workers):
    votes = [VoteLine(receipt(i), nominee, "2026-03-10T10:00:00.000000Z") for i, nominee in enumerate(choices)]
    result = tally(CONTEST, segmented(votes), NOW, workers=workers, run_lines=4)
    assert result.nominees == {n: choices.count(n) for n in ("hc-001", "hc-002", "rh-001")}
    assert result.digest == independent_digest(votes)
