#!/usr/bin/env python3
"""Benchmark of the tally (chalicelib.voting.tally through DynamoStore.tally_segment) against a raw parallel
scan of the same table, on the local DynamoDB server (dynalite).

    .venv/bin/python bench/tally_scan.py [--votes 1000000] [--checkpoints 100000] [--runs 3]
        [--segments 8] [--cms-bytes 1024] [--data-dir DIR] [--markdown PATH]

Loads `--votes` vote items (the service's own table and receipt index, items shaped like the
service's, with a random CMS blob of `--cms-bytes`) with parallel BatchWriteItem, printing
progress. At every checkpoint (and at the full count) it measures, each in a fresh process,
alternating, `--runs` times:

* tally: `chalicelib.voting.tally.tally()` over `DynamoStore.tally_segment` (what the closer runs:
  PynamoDB parallel scan with the projection receipt, nominee, cast_at; counts; the digest's
  sorted runs on disk and their merge);
* raw scan: boto3 `Scan` with the same segments, filter and projection, counting per nominee.

It reports votes/s (median), the ratio tally/scan (goal >= 0.8) and the peak RSS of each process
above its baseline after imports (goal: flat in the vote count). With `--data-dir` the loaded
table is kept and reused by the next run with the same sizes.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    boto3_client,
    contest_document,
    local_dynamodb,
    machine,
    median,
    peak_rss_mib,
    verdict,
    write_section,
)

CONTEST = "bench-tally"
OPENS = datetime(2025, 10, 1, tzinfo=UTC)
CLOSES = datetime(2025, 10, 6, tzinfo=UTC)
GOAL_RATIO = 0.8
GOAL_MEMORY_GROWTH = 1.25  # peak RSS above baseline at the full count vs the first checkpoint


def nominee_ids() -> list[str]:
    document = contest_document(CONTEST, OPENS, CLOSES)
    return [n["id"] for m in document["nominations"] for n in m["nominees"]]


def vote_item(index: int, nominees: list[str], blob: bytes) -> dict:
    seed = hashlib.sha256(index.to_bytes(8, "big")).digest()
    voter = hashlib.sha256(b"voter" + seed).hexdigest()
    text = base64.b32encode(hashlib.sha256(b"receipt" + seed).digest()[:15]).decode()
    receipt = "-".join(text[i:i + 4] for i in range(0, 24, 4))
    nominee = nominees[seed[0] % len(nominees)]
    cast_at = (OPENS + timedelta(microseconds=index * 400_000)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "pk": {"S": f"{CONTEST}#{voter}"}, "contest": {"S": CONTEST}, "voter": {"S": voter},
        "receipt": {"S": receipt}, "nominee": {"S": nominee}, "nomination": {"S": nominee.split("-")[0]},
        "cast_at": {"S": cast_at}, "algorithm": {"S": "RSA/SHA-256"},
        "evidence": {"B": blob},  # stands for the sealed CMS: the tally never reads it
    }


def prefix_for(votes: int) -> str:
    """One table pair per size: a scan reads the whole table, whatever the contest."""
    return f"bench{votes}-"


def store_for(endpoint: str, prefix: str):  # -> DynamoStore
    from chalicelib.adapters.dynamodb import DynamoStore

    return DynamoStore(prefix, endpoint, "us-east-1")


def prepare_tables(endpoint: str, prefix: str) -> None:
    from chalicelib.voting.contest import parse_contest

    store = store_for(endpoint, prefix)
    store.create_tables()
    if store.get_contest(CONTEST) is None:
        store.create_contest(parse_contest(contest_document(CONTEST, OPENS, CLOSES)), OPENS - timedelta(days=1))


def load_votes(endpoint: str, prefix: str, start: int, stop: int, cms_bytes: int, threads: int = 8) -> float:
    """Write votes [start, stop) with BatchWriteItem from `threads` threads; returns seconds."""
    client = boto3_client(endpoint, pool=threads * 2)
    nominees = nominee_ids()
    table = f"{prefix}votes"
    done = [0]
    lock = threading.Lock()
    began = time.perf_counter()
    chunk = 2500

    def write(first: int) -> None:
        rng = random.Random(first)
        last = min(first + chunk, stop)
        for batch_start in range(first, last, 25):
            requests = [{"PutRequest": {"Item": vote_item(i, nominees, rng.randbytes(cms_bytes))}}
                        for i in range(batch_start, min(batch_start + 25, last))]
            pending = {table: requests}
            delay = 0.01
            while pending:
                answer = client.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}
                if pending:
                    time.sleep(delay)
                    delay = min(delay * 2, 1.0)
        with lock:
            done[0] += last - first
            if done[0] % 50_000 < chunk:
                rate = done[0] / (time.perf_counter() - began)
                print(f"  loaded {start + done[0]:,} / {stop:,} votes ({rate:,.0f}/s)", flush=True)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(write, range(start, stop, chunk)))
    return time.perf_counter() - began


# --- one measurement, in its own process (so peak RSS is its own) ---

def warm_votes_connection(store) -> None:
    """Make the votes model's connection and client before timing, as the raw side makes its client:
    otherwise the 8 workers race to make one each (a botocore client each: seconds and tens of MiB
    once per process, not per vote)."""
    store.votes.describe_table()


def measure_tally(endpoint: str, prefix: str, segments: int) -> dict:
    from chalicelib.voting.tally import tally

    store = store_for(endpoint, prefix)
    stored = store.get_contest(CONTEST)
    assert stored is not None
    warm_votes_connection(store)
    base = peak_rss_mib()
    began = time.perf_counter()
    result = tally(stored.contest, lambda seg, total: store.tally_segment(CONTEST, seg, total),
                   datetime.now(UTC), workers=segments)
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "votes": result.total, "rss_base": base, "rss_peak": peak_rss_mib()}


def measure_scan(endpoint: str, prefix: str, segments: int) -> dict:
    client = boto3_client(endpoint, pool=segments * 2)
    client.describe_table(TableName=f"{prefix}votes")  # connect before timing, as the tally's get_contest does
    base = peak_rss_mib()

    def segment(number: int) -> Counter:
        counts: Counter = Counter()
        kwargs = {"TableName": f"{prefix}votes", "Segment": number, "TotalSegments": segments,
                  "FilterExpression": "contest = :c", "ExpressionAttributeValues": {":c": {"S": CONTEST}},
                  "ProjectionExpression": "receipt, nominee, cast_at", "ConsistentRead": True}
        while True:
            page = client.scan(**kwargs)
            for item in page["Items"]:
                counts[item["nominee"]["S"]] += 1
            if "LastEvaluatedKey" not in page:
                return counts
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    began = time.perf_counter()
    with ThreadPoolExecutor(segments) as pool:
        total = sum(sum(c.values()) for c in pool.map(segment, range(segments)))
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "votes": total, "rss_base": base, "rss_peak": peak_rss_mib()}


def measure_pynamodb(endpoint: str, prefix: str, segments: int) -> dict:
    """Diagnostic: `DynamoStore.tally_segment` in parallel, nothing counted (what PynamoDB costs)."""
    store = store_for(endpoint, prefix)
    assert store.get_contest(CONTEST) is not None
    warm_votes_connection(store)
    base = peak_rss_mib()
    began = time.perf_counter()
    with ThreadPoolExecutor(segments) as pool:
        total = sum(pool.map(lambda seg: sum(1 for _ in store.tally_segment(CONTEST, seg, segments)),
                             range(segments)))
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "votes": total, "rss_base": base, "rss_peak": peak_rss_mib()}


def measure_core(endpoint: str, prefix: str, segments: int, votes: int) -> dict:
    """Diagnostic: `tally()` fed from memory (no storage): counting, spooling, merge, digest."""
    from chalicelib.voting.contest import parse_contest
    from chalicelib.voting.tally import VoteLine, tally

    contest = parse_contest(contest_document(CONTEST, OPENS, CLOSES))
    nominees = nominee_ids()

    def scan(segment: int, total: int):
        for index in range(segment, votes, total):
            yield VoteLine(f"R{index:023d}", nominees[index % len(nominees)], "2025-10-02T00:00:00.000000Z")

    base = peak_rss_mib()
    began = time.perf_counter()
    result = tally(contest, scan, datetime.now(UTC), workers=segments)
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "votes": result.total, "rss_base": base, "rss_peak": peak_rss_mib()}


def run_measure(mode: str, endpoint: str, prefix: str, segments: int, votes: int = 0) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", mode, "--endpoint", endpoint,
               "--prefix", prefix, "--segments", str(segments), "--votes", str(votes)]
    done = subprocess.run(command, check=False, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"measuring {mode} failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def diagnostics(endpoint: str, votes: int, segments: int) -> dict:
    """One run each of the two halves of the tally: PynamoDB's scan alone and the counting alone."""
    out = {}
    for mode in ("pynamodb", "core"):
        sample = run_measure(mode, endpoint, prefix_for(votes), segments, votes)
        print(f"  {votes:,} votes, {mode} (diagnostic): {sample['seconds']:.1f} s", flush=True)
        out[mode] = votes / sample["seconds"]
    return out


def checkpoint(endpoint: str, votes: int, runs: int, segments: int) -> dict:
    samples: dict[str, list[dict]] = {"tally": [], "scan": []}
    for run in range(runs):
        for mode in ("scan", "tally") if run % 2 == 0 else ("tally", "scan"):
            sample = run_measure(mode, endpoint, prefix_for(votes), segments)
            if sample["votes"] != votes:
                raise SystemExit(f"{mode} saw {sample['votes']} votes, {votes} stored")
            samples[mode].append(sample)
            print(f"  {votes:,} votes, {mode}: {sample['seconds']:.1f} s, "
                  f"{votes / sample['seconds']:,.0f} votes/s, peak RSS {sample['rss_peak']:.0f} MiB "
                  f"(baseline {sample['rss_base']:.0f})", flush=True)
    out = {"votes": votes}
    for mode, rows in samples.items():
        out[mode] = {"seconds": median([r["seconds"] for r in rows]),
                     "rate": median([votes / r["seconds"] for r in rows]),
                     "growth": median([r["rss_peak"] - r["rss_base"] for r in rows]),
                     "peak": median([r["rss_peak"] for r in rows])}
    return out


def report(rows: list[dict], args: argparse.Namespace, load_seconds: float | None) -> str:
    lines = ["## Tally (`chalicelib.voting.tally` over `DynamoStore.tally_segment`) vs a raw parallel scan", ""]
    lines.append(f"Machine: {machine()}.")
    lines.append("")
    loaded = f"loaded in {load_seconds:.0f} s, " if load_seconds else "reused from --data-dir, "
    lines.append(f"Table: the service's votes table with its receipt index in dynalite, one contest, "
                 f"{args.votes:,} votes ({loaded}items shaped like the service's with a {args.cms_bytes}-byte "
                 f"CMS blob). Both sides: {args.segments} segments, filter contest = id, projection receipt, "
                 f"nominee, cast_at, consistent reads; each measurement in a fresh process, alternating; "
                 f"median of {args.runs}. Memory: peak RSS of the process minus its RSS after imports.")
    lines.append("")
    lines.append("| votes | tally s | tally votes/s | raw scan s | raw scan votes/s | ratio (goal ≥ 0.8) "
                 "| tally peak RSS above baseline | scan peak RSS above baseline |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for row in rows:
        t, s = row["tally"], row["scan"]
        ratio = t["rate"] / s["rate"]
        lines.append(f"| {row['votes']:,} | {t['seconds']:.1f} | {t['rate']:,.0f} | {s['seconds']:.1f} | "
                     f"{s['rate']:,.0f} | {ratio:.2f} ({verdict(ratio >= GOAL_RATIO)}) | "
                     f"{t['growth']:.0f} MiB | {s['growth']:.0f} MiB |")
    lines.append("")
    halves = rows[0].get("halves")
    if halves:
        lines.append(f"Where the tally's time goes, at {rows[0]['votes']:,} votes (one run each, same segments): "
                     f"PynamoDB's parallel scan alone (`DynamoStore.tally_segment`, nothing counted) "
                     f"{halves['pynamodb']:,.0f} votes/s; the counting alone (`tally()` fed from memory: counts, "
                     f"digest lines spooled, sorted, merged, hashed) {halves['core']:,.0f} votes/s; raw scan "
                     f"{rows[0]['scan']['rate']:,.0f} votes/s.")
        lines.append("")
    full = rows[-1]
    ratio = full["tally"]["rate"] / full["scan"]["rate"]
    lines.append(f"Goal: tally ≥ {GOAL_RATIO}× the raw scan rate at {full['votes']:,} votes — "
                 f"{verdict(ratio >= GOAL_RATIO)} ({ratio:.2f}×).")
    from chalicelib.voting import tally as tally_module

    cap = args.segments * tally_module.RUN_LINES
    lines.append("")
    lines.append(f"Memory model: each of the {args.segments} tally workers holds at most "
                 f"{tally_module.RUN_LINES:,} digest lines before it spills a sorted run to disk, so the "
                 f"tally's memory grows with the votes up to {cap:,} votes and is flat beyond; the counts "
                 "themselves are one integer per nominee and per hour.")
    memory = full.get("core_memory")
    if memory:
        (n1, m1), (n2, m2) = memory
        lines.append(f"The counting alone fed from memory (one run each): {m1:.0f} MiB above baseline at {n1:,} "
                     f"votes, {m2:.0f} MiB at {n2:,}.")
    if len(rows) > 1:
        first, last = rows[0]["tally"]["growth"], full["tally"]["growth"]
        flat = last <= max(first * GOAL_MEMORY_GROWTH, first + 16)
        bounded = bool(memory) and memory[1][1] <= max(memory[0][1] * GOAL_MEMORY_GROWTH, memory[0][1] + 16)
        lines.append(f"Goal: memory flat in the vote count — {verdict(flat)}: {last:.0f} MiB above baseline at "
                     f"{full['votes']:,} votes vs {first:.0f} MiB at {rows[0]['votes']:,} "
                     f"({full['votes'] / rows[0]['votes']:.0f}× the votes)"
                     + (f"; bounded beyond {cap:,} votes: {'yes' if bounded else 'NO'} (the counting alone: "
                        f"{memory[0][1]:.0f} MiB at {memory[0][0]:,}, {memory[1][1]:.0f} MiB at {memory[1][0]:,})."
                        if memory else "."))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--checkpoints", default="100000",
                        help="comma-separated smaller counts also measured, each its own table (default 100000)")
    parser.add_argument("--runs", type=int, default=3, help="measurements per side and size (median)")
    parser.add_argument("--segments", type=int, default=None, help="scan segments (default: the tally's)")
    parser.add_argument("--cms-bytes", type=int, default=1024)
    parser.add_argument("--data-dir", type=Path, help="keep dynalite's data here and reuse it next time")
    parser.add_argument("--load-only", action="store_true", help="load the tables and stop")
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--measure", choices=["tally", "scan", "pynamodb", "core"], help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.segments is None:
        from chalicelib.voting.tally import DEFAULT_WORKERS

        args.segments = DEFAULT_WORKERS
    if args.measure:
        if args.measure == "core":
            print(json.dumps(measure_core(args.endpoint, args.prefix, args.segments, args.votes)))
            return
        measure = {"tally": measure_tally, "scan": measure_scan, "pynamodb": measure_pynamodb}[args.measure]
        print(json.dumps(measure(args.endpoint, args.prefix, args.segments)))
        return

    points = sorted({int(c) for c in args.checkpoints.split(",") if c.strip() and 0 < int(c) < args.votes})
    points.append(args.votes)
    print(f"# {machine()}", flush=True)
    marker = args.data_dir / "bench-loaded.json" if args.data_dir else None
    loaded: dict[str, int] = {}
    if marker is not None and marker.is_file():
        loaded = json.loads(marker.read_text())
        if loaded.pop("cms_bytes", args.cms_bytes) != args.cms_bytes:
            raise SystemExit(f"{args.data_dir} holds votes with another --cms-bytes: remove it or pick another")
    load_seconds = 0.0
    rows = []
    with local_dynamodb(args.data_dir) as endpoint:
        for point in points:
            prefix = prefix_for(point)
            prepare_tables(endpoint, prefix)
            have = loaded.get(str(point), 0)
            if have < point:
                print(f"# loading table {prefix}votes: {have:,} .. {point:,}", flush=True)
                load_seconds += load_votes(endpoint, prefix, have, point, args.cms_bytes)
                loaded[str(point)] = point
                if marker is not None:
                    marker.write_text(json.dumps({**loaded, "cms_bytes": args.cms_bytes}))
            else:
                print(f"# reusing {point:,} votes in {args.data_dir}", flush=True)
        if args.load_only:
            return
        for point in points:
            print(f"# measuring at {point:,} votes", flush=True)
            rows.append(checkpoint(endpoint, point, args.runs, args.segments))
        print(f"# diagnostics at {points[0]:,} votes", flush=True)
        halves = diagnostics(endpoint, points[0], args.segments)
        rows[0]["halves"] = halves
        memory = []
        for votes in (args.votes, 2 * args.votes):  # the counting alone, past the spill threshold
            sample = run_measure("core", endpoint, prefix_for(votes), args.segments, votes)
            print(f"  {votes:,} votes from memory: peak RSS {sample['rss_peak'] - sample['rss_base']:.0f} MiB "
                  "above baseline", flush=True)
            memory.append((votes, sample["rss_peak"] - sample["rss_base"]))
        rows[-1]["core_memory"] = memory
    write_section(args.markdown, report(rows, args, load_seconds or None))


if __name__ == "__main__":
    main()
