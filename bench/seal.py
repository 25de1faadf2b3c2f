#!/usr/bin/env python3
"""Benchmark of sealing the evidence on the vote path: the extra cost per vote, against the vote
itself measured in the same run.

    .venv/bin/python bench/seal.py [--votes 300] [--runs 5] [--markdown PATH]

Before timing: per key kind (RSA-2048, ECDSA P-256) a root → intermediate → citizen PKI
(devtools.devpki), one new citizen per ballot, every ballot signed as NCALayer signs it (attached
CMS) with a fresh challenge; a commission key pair RSA-3072. Timed, one core, per key kind:

- vote = `VotingService.cast` on the store in memory: size and shape, verification, ballot,
  challenge, window, voter key, receipt, the seal, the conditional write. That is the CPU of a
  vote request without its network: a real request adds API Gateway, Lambda and one DynamoDB
  PutItem (bench/vote_path.py), so the share below is an upper bound of what a citizen waits for.
- seal = `Sealer.seal` of the same CMSes with their bindings (a fresh AES-256 data key, RSA-OAEP
  wrap to the commission's public key, AES-256-GCM over the CMS), the step the vote path added.
- open = `open_sealed` with the key file (what the audit pays per record, offline; with KMS it is
  one Decrypt call instead).

Each run uses a new service warmed with one ballot (a warm Lambda container); runs alternate;
medians. Goal: seal ≤ 10 % of the vote.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import secrets
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import contest_document, machine, median, verdict, write_section  # noqa: E402

GOAL = 0.10  # sealing at most 10 % of a vote
CONTEST = "bench-seal"
SECRET = secrets.token_urlsafe(48)  # a throw-away service secret for this run
KINDS = {"rsa": "RSA-2048", "ec256": "ECDSA P-256"}


def make_pki(kind: str):
    from devtools import devpki

    start = datetime.now(UTC) - timedelta(days=1)
    root = devpki.issue_ca(f"BENCH ROOT {kind}", key=devpki.new_key(kind), not_before=start)
    inter = devpki.issue_ca(f"BENCH NCA {kind}", issuer=root, key=devpki.new_key(kind), not_before=start,
                            path_length=0)
    return root, inter


def make_ballots(inter, kind: str, count: int, keys, first: int) -> list[bytes]:
    """Request bodies, one new citizen each, signed with a fresh challenge."""
    from chalicelib.voting import challenge
    from chalicelib.voting.ballot import ballot_bytes
    from devtools import devpki

    start = datetime.now(UTC) - timedelta(days=1)
    bodies = []
    for n in range(first, first + count):
        voter = devpki.issue_person(inter, f"{700000000000 + n}", key_kind=kind, not_before=start)
        token = challenge.issue(keys.challenge, challenge.VOTE, CONTEST, datetime.now(UTC)).token
        cms = devpki.sign_cms(ballot_bytes(CONTEST, "n0-000", token), voter, chain=(inter,))
        bodies.append(json.dumps({"cms": base64.b64encode(cms).decode()}).encode())
    return bodies


def per_item(work: Callable[[int], object], count: int) -> float:
    """Seconds per call of work(i) over i in range(count), with the collector off."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for i in range(count):
            work(i)
        return (time.perf_counter() - start) / count
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--votes", type=int, default=300, help="ballots per run and key kind")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    print(f"# {machine()}", flush=True)

    from cryptography.hazmat.primitives.asymmetric import rsa

    from chalicelib.adapters.evidence_keys import KEY_BITS, KeyFileCommissionKey
    from chalicelib.adapters.memory import MemoryStore
    from chalicelib.verify.certificate import Certificate
    from chalicelib.verify.signature import SignatureVerifier
    from chalicelib.verify.trust import TrustStore
    from chalicelib.voting.casting import VotingService
    from chalicelib.voting.contest import parse_contest
    from chalicelib.voting.keys import Keys
    from chalicelib.voting.seal import Sealer, open_sealed
    from devtools.devpki import current_revocation

    keys = Keys(SECRET)
    commission = KeyFileCommissionKey(rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS))
    sealer = Sealer(commission.public_key)
    now = datetime.now(UTC)
    contest = parse_contest(contest_document(CONTEST, now - timedelta(hours=1), now + timedelta(days=1)))
    rows = []
    for kind, label in KINDS.items():
        print(f"# {label}: signing {args.votes * args.runs + 1:,} ballots, one citizen each...", flush=True)
        root, inter = make_pki(kind)
        ballots = make_ballots(inter, kind, args.votes * args.runs + 1, keys, 0)
        figures: dict[str, list[float]] = {"vote": [], "seal": [], "open": []}
        for run in range(args.runs):
            store = MemoryStore()
            store.create_contest(contest, now - timedelta(days=1))
            verifier = SignatureVerifier(TrustStore([Certificate(root.der)]), current_revocation(root, inter))
            service = VotingService(verifier, keys, store, sealer)
            service.cast(CONTEST, ballots[-1])  # warm: the CA link, the contest cache
            batch = ballots[run * args.votes:(run + 1) * args.votes]
            figures["vote"].append(per_item(lambda i, b=batch, s=service: s.cast(CONTEST, b[i]), len(batch)))
            stored = store.votes_of(CONTEST)[1:]  # the timed ones, with their bindings and CMS
            cms = [json.loads(body)["cms"] for body in batch]
            records = [(v.evidence, _binding(v)) for v in stored]
            raw = [base64.b64decode(c) for c in cms]
            figures["seal"].append(per_item(lambda i, r=records, c=raw: sealer.seal(r[i][1], c[i]), len(records)))
            figures["open"].append(per_item(lambda i, r=records: open_sealed(r[i][0], r[i][1], commission),
                                            len(records)))
            print(f"  run {run + 1} {label}: vote {figures['vote'][-1] * 1e6:,.0f} µs, "
                  f"seal {figures['seal'][-1] * 1e6:,.0f} µs, open {figures['open'][-1] * 1e6:,.0f} µs", flush=True)
        vote, seal, opening = (median(figures[name]) for name in ("vote", "seal", "open"))
        rows.append((label, vote, seal, opening, seal / vote, len(raw[0])))

    worst = max(row[4] for row in rows)
    lines = ["## Sealing the evidence on the vote path", "", f"Machine: {machine()}.", ""]
    lines.append(f"One core; {args.votes:,} votes per run and key kind, each a new citizen; median of {args.runs} "
                 "runs. Vote = `VotingService.cast` on the store in memory (everything but the network, sealing "
                 "included); seal = `Sealer.seal` alone (fresh AES-256 data key, RSA-OAEP-SHA-256 to the "
                 f"commission's RSA-{KEY_BITS} public key, AES-256-GCM over the CMS); open = `open_sealed` with the "
                 "key file (the audit, offline, per record). A real request also waits for API Gateway, Lambda and "
                 "a DynamoDB PutItem, so the share of a request is smaller than shown.")
    lines.append("")
    lines.append("| signer key | CMS bytes | vote µs | seal µs | seal share of the vote | open µs (audit) |")
    lines.append("|---|---|---|---|---|---|")
    for label, vote, seal, opening, share, size in rows:
        lines.append(f"| {label} | {size:,} | {vote * 1e6:,.0f} | {seal * 1e6:,.0f} | {share:.1%} | "
                     f"{opening * 1e6:,.0f} |")
    lines.append("")
    lines.append(f"Goal: sealing ≤ {GOAL:.0%} of a vote — {verdict(worst <= GOAL)} (at most {worst:.1%}).")
    write_section(args.markdown, "\n".join(lines) + "\n")


def _binding(vote):
    from chalicelib.voting.seal import Binding

    return Binding(vote.contest, vote.voter, vote.receipt, vote.nominee, vote.cast_at)


if __name__ == "__main__":
    main()
