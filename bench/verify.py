#!/usr/bin/env python3
"""Benchmark of ballot verification on one core, against the floor measured in the same run.

    .venv/bin/python bench/verify.py [--ballots 400] [--gost-runs 30] [--no-gost] [--markdown PATH]

RSA-2048 and ECDSA P-256: a root → intermediate → citizen PKI (devtools.devpki), a new key and
certificate per ballot, signed as NCALayer signs (attached CMS, signed attributes). Ours =
`SignatureVerifier.verify` on a warm verifier (a warm container: the intermediate → root link
is known, every citizen is new): every step of the policy, and the trace of each. Floor = raw
`cryptography`: load the citizen's certificate, SHA-256 of the ballot, verify the signature over
the signed attributes with its key and the certificate's signature with the issuer's (loaded)
key. Ours and the floor alternate ballot by ballot, each timed in this thread's CPU time
(`time.thread_time`: on a shared machine, other processes' time slices are not counted).

GOST (with the NCA files of ../shared/nca-test-pki, or $VOTING_TEST_PKI_DIR): ballots signed
with the real GOST-2015/512 key gost2015/individual_valid_2022.p12 (devtools.gost_keys, the
shape of Kalkan's CMS) through the same `SignatureVerifier.verify`, as of 2022-09-28, the
citizen's key cold before every ballot (removed from the key caches), the CA's key warm; and one
GOST-2015/512 signature verification with a cold key (`gost.verify` of the signer's signature:
Streebog of the signed attributes and the curve work), the goal's measure.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # noqa: E402

from bench.common import machine, median, verdict, write_section  # noqa: E402
from chalicelib.verify import algorithms, trace  # noqa: E402
from chalicelib.verify.certificate import Certificate  # noqa: E402
from chalicelib.verify.cms import parse_signed_data  # noqa: E402
from chalicelib.verify.crl_refresh import held_indexes_from_crls  # noqa: E402
from chalicelib.verify.policy import STEPS  # noqa: E402
from chalicelib.verify.revocation import Revocation  # noqa: E402
from chalicelib.verify.signature import SignatureVerifier  # noqa: E402
from chalicelib.verify.trust import TrustStore  # noqa: E402
from chalicelib.voting.ballot import ballot_bytes  # noqa: E402
from devtools import devpki  # noqa: E402

GOAL_RATIO = 2.0  # RSA-2048 and ECDSA P-256 within 2x of their floor
GOAL_GOST_MS = 3.0  # one GOST-2015/512 verification with a cold key
KALKAN_DAY = datetime(2022, 9, 28, tzinfo=UTC)
CLOCK = time.thread_time


@dataclass
class Row:
    algorithm: str
    ours: float  # seconds per ballot (median)
    floor: float | None  # seconds per ballot of the floor (median)
    count: int
    goal: str = ""


@dataclass
class Ballot:
    cms: bytes
    content: bytes
    signed_attributes: bytes
    signature: bytes
    leaf_der: bytes


def make_ballots(kind: str, count: int) -> tuple[devpki.Issued, devpki.Issued, list[Ballot], Ballot]:
    start = datetime.now(UTC) - timedelta(days=10)
    key_kind = "rsa" if kind == "rsa" else "ec256"
    root = devpki.issue_ca("BENCH ROOT", key=devpki.new_key(key_kind), not_before=start)
    inter = devpki.issue_ca("BENCH NCA", issuer=root, key=devpki.new_key(key_kind), not_before=start, path_length=0)
    ballots = []
    for n in range(count + 1):
        voter = devpki.issue_person(inter, f"{900000000000 + n}", key_kind=kind, not_before=start)
        content = ballot_bytes("best-social-worker-2025", "hc-001", f"1.{n}.challenge-token-of-typical-length")
        cms = devpki.sign_cms(content, voter, chain=(inter,))
        signer = parse_signed_data(cms).signers[0]
        assert signer.signed_attributes is not None
        ballots.append(Ballot(cms, content, signer.signed_attributes, signer.signature, voter.der))
    return root, inter, ballots[1:], ballots[0]


def floor_verifier(kind: str, issuer: devpki.Issued) -> Callable[[Ballot], None]:
    issuer_key = issuer.certificate.public_key()

    def check(ballot: Ballot) -> None:
        leaf = x509.load_der_x509_certificate(ballot.leaf_der)
        assert hashlib.sha256(ballot.content).digest()
        key = leaf.public_key()
        if kind == "rsa":
            assert isinstance(key, rsa.RSAPublicKey) and isinstance(issuer_key, rsa.RSAPublicKey)
            key.verify(ballot.signature, ballot.signed_attributes, padding.PKCS1v15(), hashes.SHA256())
            issuer_key.verify(leaf.signature, leaf.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA256())
        else:
            assert isinstance(key, ec.EllipticCurvePublicKey)
            assert isinstance(issuer_key, ec.EllipticCurvePublicKey)
            key.verify(ballot.signature, ballot.signed_attributes, ec.ECDSA(hashes.SHA256()))
            issuer_key.verify(leaf.signature, leaf.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))

    return check


def measure_classic(kind: str, label: str, count: int) -> tuple[Row, dict[str, float]]:
    print(f"# {label}: making {count} citizens and ballots...", flush=True)
    root, inter, ballots, warm = make_ballots(kind, count)
    floor = floor_verifier(kind, inter)
    at = datetime.now(UTC)
    algorithms._load_key.cache_clear()  # no key parsed before
    verifier = SignatureVerifier(TrustStore([Certificate(root.der)]), devpki.current_revocation(root, inter))
    verifier.verify(warm.cms, at)
    floor(warm)
    ours: list[float] = []
    floors: list[float] = []
    steps: dict[str, list[float]] = {name: [] for name in STEPS}
    gc.collect()
    for ballot in ballots:
        start = CLOCK()
        verifier.verify(ballot.cms, at)
        middle = CLOCK()
        floor(ballot)
        ours.append(middle - start)
        floors.append(CLOCK() - middle)
        last = trace.last()
        assert last is not None and last.decided == "accepted"
        for name, ms in last.milliseconds.items():
            steps[name].append(ms / 1000)
    ratio = median(ours) / median(floors)
    row = Row(label, median(ours), median(floors), len(ballots),
              f"≤ {GOAL_RATIO:.0f}× floor: {verdict(ratio <= GOAL_RATIO)}")
    return row, {name: median(values) for name, values in steps.items() if values}


# --- GOST ---

def pki_dir() -> Path:
    return Path(os.environ.get("VOTING_TEST_PKI_DIR", ROOT / ".." / "shared" / "nca-test-pki")).resolve()


def forget_key(spki_der: bytes) -> None:
    """Make a GOST public key unknown again, as a new citizen's key is."""
    from chalicelib.verify.gost import signature as gost_signature

    key = gost_signature.parse_spki(spki_der)
    with key.curve._lock:
        key.curve._key_tables.pop((key.x, key.y), None)
        key.curve._seen_keys.pop((key.x, key.y), None)
    gost_signature._parse_spki.cache_clear()


def gost_rows(folder: Path, runs: int) -> list[Row]:
    from chalicelib.verify import gost
    from devtools import gost_keys

    opened = gost_keys.load_pkcs12((folder / "gost2015" / "individual_valid_2022.p12").read_bytes(), "Aa123456")
    anchor = Certificate.from_pem_or_der((folder / "gost2015" / "nca_gost2022_test.cer").read_bytes())[0]
    leaf = Certificate(opened.certificate_der)
    print("# GOST 34.10-2015/512: signing ballots with the real NCA key...", flush=True)
    ballots = [gost_keys.sign_cms_gost(ballot_bytes("best-social-worker-2025", "hc-001", f"1.{n}.challenge"),
                                       opened.certificate_der, opened.key, signing_time=KALKAN_DAY)
               for n in range(runs + 2)]
    # The NCA's own CRL of that CA (current on the signing day), read into its index.
    trust = TrustStore([anchor])
    held, _ = held_indexes_from_crls([("crl", (folder / "gost2015" / "nca_gost2022_test.crl").read_bytes())], trust,
                                     KALKAN_DAY)
    verifier = SignatureVerifier(trust, Revocation(held))
    for warm in ballots[:2]:  # the CA key's tables are built on its second sighting, as in a container
        verifier.verify(warm, KALKAN_DAY)
    whole: list[float] = []
    single: list[float] = []
    for cms in ballots[2:]:
        forget_key(leaf.spki_der)
        start = CLOCK()
        verifier.verify(cms, KALKAN_DAY)
        whole.append(CLOCK() - start)
        signer = parse_signed_data(cms).signers[0]
        assert signer.signed_attributes is not None
        forget_key(leaf.spki_der)
        start = CLOCK()
        assert gost.verify(leaf.spki_der, signer.signature_oid, signer.signed_attributes, signer.signature)
        single.append(CLOCK() - start)
    one = median(single)
    return [
        Row("GOST 34.10-2015/512 ballot (real NCA key, citizen's key cold)", median(whole), None, len(whole)),
        Row("GOST 34.10-2015/512, one signature with a cold key", one, None, len(single),
            f"≤ {GOAL_GOST_MS:.0f} ms: {verdict(one * 1000 <= GOAL_GOST_MS)}"),
    ]


def report(rows: list[Row], steps: dict[str, float], skipped: str | None) -> str:
    lines = ["## Ballot verification, one core", "", f"Machine: {machine()}.", ""]
    lines.append(
        "Ours = `SignatureVerifier.verify` (every step of the policy) on a warm verifier, a new citizen per "
        "ballot. Floor (RSA, ECDSA) = raw `cryptography`: load the citizen's certificate, hash the ballot, "
        "verify the signature over the signed attributes and the certificate's link to its issuer. Ours and "
        "the floor alternate ballot by ballot; times are this thread's CPU time, medians; ratio = ours / floor.")
    lines.append("")
    lines.append("| algorithm | ours ballots/s | ours ms | floor ms | ratio ours/floor | ballots | goal |")
    lines.append("|---|---|---|---|---|---|---|")
    for row in rows:
        floor = f"{row.floor * 1e3:.3f}" if row.floor else ""
        ratio = f"{row.ours / row.floor:.2f}×" if row.floor else ""
        lines.append(f"| {row.algorithm} | {1 / row.ours:,.0f} | {row.ours * 1e3:.3f} | {floor} | {ratio} | "
                     f"{row.count} | {row.goal} |")
    if skipped:
        lines.append("")
        lines.append(f"GOST rows skipped: {skipped}.")
    if steps:
        total = sum(steps.values())
        lines.append("")
        lines.append("Where an RSA-2048 ballot's time goes (the verifier's own trace, median µs per step; the floor's "
                     "whole work is two RSA verifications, a certificate load and a hash):")
        lines.append("")
        lines.append("| step | µs | share |")
        lines.append("|---|---|---|")
        for name, seconds in steps.items():
            lines.append(f"| {name} | {seconds * 1e6:.0f} | {seconds / total:.0%} |")
    lines.append("")
    for row in rows:
        if row.goal:
            measured = f"{row.ours / row.floor:.2f}×" if row.floor else f"{row.ours * 1e3:.2f} ms"
            goal = row.goal.split(":")[0]
            lines.append(f"Goal: {row.algorithm} {goal} — {row.goal.split(': ')[1]} ({measured}).")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ballots", type=int, default=400, help="citizens (ballots) per RSA/ECDSA row")
    parser.add_argument("--gost-runs", type=int, default=30, help="GOST ballots")
    parser.add_argument("--no-gost", action="store_true")
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    print(f"# {machine()}", flush=True)
    rsa_row, steps = measure_classic("rsa", "RSA-2048 (PKCS#1 v1.5, SHA-256)", args.ballots)
    ec_row, _ = measure_classic("ec256", "ECDSA P-256 (SHA-256)", args.ballots)
    rows = [rsa_row, ec_row]
    skipped = None
    folder = pki_dir()
    if args.no_gost:
        skipped = "--no-gost"
    elif not (folder / "gost2015" / "individual_valid_2022.p12").is_file():
        skipped = f"the NCA test files are not at {folder} (set VOTING_TEST_PKI_DIR)"
    else:
        rows += gost_rows(folder, args.gost_runs)
    write_section(args.markdown, report(rows, steps, skipped))


if __name__ == "__main__":
    main()
