#!/usr/bin/env python3
"""Benchmark of the vote path: votes/s through `VotingService.cast` (the whole app path minus
HTTP) against raw boto3 conditional PutItem of the same items, at the same concurrency, on the
local DynamoDB server (dynalite).

    .venv/bin/python bench/vote_path.py [--votes 1000] [--concurrency 8] [--runs 3] [--markdown PATH]

Before timing: dynalite on a free port with the service's tables, a contest open now, a
root → intermediate → citizen ECDSA P-256 PKI, one citizen per vote, each ballot signed as
NCALayer signs it (attached CMS) with a fresh challenge. Timed: `--concurrency` threads cast
`--votes` ballots (verify, ballot, challenge, window, voter key, receipt, ONE conditional put).
Floor: the same threads put the same number of items of the same shape and size (the sealed
evidence included) with `attribute_not_exists(pk)`. Runs alternate; medians.
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
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
    verdict,
    write_section,
)

GOAL = 0.6
SECRET = secrets.token_urlsafe(48)  # a throw-away service secret for this run
CONTEST = "bench-votes"


def make_pki():
    from devtools import devpki

    start = datetime.now(UTC) - timedelta(days=1)
    root = devpki.issue_ca("BENCH ROOT", key=devpki.new_key("ec256"), not_before=start)
    inter = devpki.issue_ca("BENCH NCA", issuer=root, key=devpki.new_key("ec256"), not_before=start, path_length=0)
    return root, inter


def make_ballots(inter, count: int, keys, first: int = 0) -> list[tuple[bytes, bytes]]:
    """(request body, CMS) per citizen, signed by a new citizen of `inter` each."""
    from chalicelib.voting import challenge
    from chalicelib.voting.ballot import ballot_bytes
    from devtools import devpki

    start = datetime.now(UTC) - timedelta(days=1)
    ballots = []
    for n in range(first, first + count):
        voter = devpki.issue_person(inter, f"{800000000000 + n}", key_kind="ec256", not_before=start)
        token = challenge.issue(keys.challenge, challenge.VOTE, CONTEST, datetime.now(UTC)).token
        cms = devpki.sign_cms(ballot_bytes(CONTEST, "n0-000", token), voter, chain=(inter,))
        ballots.append((json.dumps({"cms": base64.b64encode(cms).decode()}).encode(), cms))
    return ballots


def run_threads(work: Callable[[int], str], count: int, concurrency: int) -> tuple[float, Counter]:
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = Counter(pool.map(work, range(count)))
    return time.perf_counter() - start, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--votes", type=int, default=1000, help="votes per run")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    print(f"# {machine()}", flush=True)

    from cryptography.hazmat.primitives.asymmetric import rsa

    from chalicelib.adapters.dynamodb import DynamoStore
    from chalicelib.verify.certificate import Certificate
    from chalicelib.verify.signature import SignatureVerifier
    from chalicelib.verify.trust import TrustStore
    from chalicelib.voting.casting import VotingService
    from chalicelib.voting.contest import parse_contest
    from chalicelib.voting.keys import Keys
    from chalicelib.voting.rejection import Rejection
    from chalicelib.voting.seal import Binding, Sealer

    keys = Keys(SECRET)
    sealer = Sealer(rsa.generate_private_key(public_exponent=65537, key_size=3072).public_key())
    print(f"# signing {args.votes * args.runs:,} ballots, one citizen each...", flush=True)
    root, inter = make_pki()
    ballots = make_ballots(inter, args.votes * args.runs, keys)
    warm = make_ballots(inter, args.concurrency, keys, first=args.votes * args.runs)
    cms_size = median([len(cms) for _, cms in ballots])

    with local_dynamodb() as endpoint:
        prefix = f"bench{uuid.uuid4().hex[:6]}-"
        store = DynamoStore(prefix, endpoint, "us-east-1")
        store.create_tables()
        now = datetime.now(UTC)
        document = contest_document(CONTEST, now - timedelta(hours=1), now + timedelta(days=1))
        store.create_contest(parse_contest(document), now - timedelta(days=1))
        from devtools.devpki import current_revocation

        verifier = SignatureVerifier(TrustStore([Certificate(root.der)]), current_revocation(root, inter))
        service = VotingService(verifier, keys, store, sealer)
        client = boto3_client(endpoint, pool=args.concurrency * 2)
        table = f"{prefix}votes"

        def app_run(batch: list[tuple[bytes, bytes]]) -> Callable[[int], str]:
            def work(i: int) -> str:
                try:
                    return "201" if service.cast(CONTEST, batch[i][0]).created else "200"
                except Rejection as rejection:
                    return rejection.code
            return work

        def raw_run(batch: list[tuple[bytes, bytes]], run: int) -> Callable[[int], str]:
            cast_at = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            # Evidence of the size the service stores, sealed before the clock starts.
            sealed = [sealer.seal(Binding(CONTEST, "v", f"R{i}", "n0-000", cast_at), cms) for i, (_, cms) in
                      enumerate(batch)]

            def work(i: int) -> str:
                voter = uuid.uuid5(uuid.NAMESPACE_OID, f"{run}-{i}").hex * 2
                item = {
                    "pk": {"S": f"raw-{CONTEST}#{voter}"}, "contest": {"S": f"raw-{CONTEST}"}, "voter": {"S": voter},
                    "receipt": {"S": f"RAW{run:02d}-{i:08d}-XXXX-XXXX-XXXX"}, "nominee": {"S": "n0-000"},
                    "nomination": {"S": "n0"}, "cast_at": {"S": cast_at}, "algorithm": {"S": "ECDSA/SHA-256"},
                    "evidence": {"B": sealed[i]},
                }
                try:
                    client.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(pk)")
                except client.exceptions.ConditionalCheckFailedException:
                    return "409"
                return "201"
            return work

        # Warm both paths (connections, the contest cache, the CA link: a warm container) with
        # votes of other citizens, not timed.
        run_threads(app_run(warm), len(warm), args.concurrency)
        run_threads(raw_run(warm, 99), len(warm), args.concurrency)

        rates: dict[str, list[float]] = {"app": [], "raw": []}
        for run in range(args.runs):
            batch = ballots[run * args.votes:(run + 1) * args.votes]
            order = ["raw", "app"] if run % 2 == 0 else ["app", "raw"]
            for name in order:
                work = app_run(batch) if name == "app" else raw_run(batch, run)
                seconds, outcomes = run_threads(work, len(batch), args.concurrency)
                if outcomes != Counter({"201": len(batch)}):
                    raise SystemExit(f"{name} run {run}: unexpected outcomes {dict(outcomes)}")
                rates[name].append(len(batch) / seconds)
                print(f"  run {run + 1} {name}: {len(batch) / seconds:,.0f} votes/s", flush=True)

    app_rate, raw_rate = median(rates["app"]), median(rates["raw"])
    ratio = app_rate / raw_rate
    lines = ["## Vote path (`VotingService.cast`) vs raw conditional PutItem", "", f"Machine: {machine()}.", ""]
    lines.append(f"dynalite on this machine; {args.concurrency} threads; {args.votes:,} votes per run, each a new "
                 f"citizen (ECDSA P-256 chain of three, CMS of {cms_size:.0f} bytes stored sealed with the vote); "
                 f"median of {args.runs} alternating runs. App = `VotingService.cast` (everything but HTTP: "
                 "verification, ballot, challenge, window, keys, the seal, one conditional put through PynamoDB). "
                 "Floor = boto3 `PutItem` with `attribute_not_exists(pk)` of items of the same shape and size.")
    lines.append("")
    lines.append("| path | votes/s (median) | runs | ratio to floor |")
    lines.append("|---|---|---|---|")
    lines.append(f"| app (`VotingService.cast`) | {app_rate:,.0f} | "
                 f"{', '.join(f'{r:,.0f}' for r in rates['app'])} | {ratio:.2f}× |")
    lines.append(f"| floor (raw conditional PutItem) | {raw_rate:,.0f} | "
                 f"{', '.join(f'{r:,.0f}' for r in rates['raw'])} | 1.00× |")
    lines.append("")
    lines.append(f"Goal: ≥ {GOAL}× the floor — {verdict(ratio >= GOAL)} ({ratio:.2f}×).")
    write_section(args.markdown, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
