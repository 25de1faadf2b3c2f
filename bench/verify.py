#!/usr/bin/env python3
"""Benchmark of ballot verification: ballots/s on one core, against the floor measured in the
same run.

    .venv/bin/python bench/verify.py [--ballots 200] [--runs 7] [--gost-runs 30] [--peer-runs 5]
        [--markdown PATH]

RSA-2048 and ECDSA P-256: a root → intermediate → citizen test PKI (devtools.devpki) with a
fresh key and certificate per ballot, ballots signed as NCALayer signs them (attached CMS,
signed attributes). Ours = `SignatureVerifier.verify` (parse the CMS, digest, signature over the
signed attributes, path to the anchor, revocation lookup, NCA profile, IIN). Each run uses a new
verifier warmed with one ballot, as a warm Lambda container is: the intermediate → root link is
cached, every citizen's certificate is new. Floor = raw `cryptography`: load the citizen's
certificate, SHA-256 of the ballot, verify the signature over the signed attributes with its key,
verify the certificate's signature with the issuer's (already loaded) key.

GOST: the verifier accepts one signer per ballot and the only Kalkan-made GOST CMS has two, so the
same per-ballot work runs through the module functions the verifier calls: parse the CMS, digest
of the content, the signer's signature over its signed attributes (`algorithms.verify`) and the
path to the issuing CA (`TrustStore.path`: the citizen's link signature, CA flags, validity).
GOST-2015/512 = signer 0 of cms-kalkan/attached_two_signers.p7s (its issuer
nca_gost2022_test.cer, as of 2022-09-28). GOST-2004 has no CMS in the NCA files: its signer
signature is a key made by gostcrypto over 1 KB (bench/gost.py's generated case) and the link is
the real gost2004/ceo_sign_valid_2022.pem against nca_gost_test.pem. The citizen's key is cold
on every ballot (removed from the key caches), the CA's key warm. Peer = gostcrypto's own hash
and verify of the same two signatures (for 2004 with our GOST 34.311-95: it has none).
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
from chalicelib.verify import algorithms, signature  # noqa: E402
from chalicelib.verify.certificate import Certificate  # noqa: E402
from chalicelib.verify.cms import parse_signed_data  # noqa: E402
from chalicelib.verify.signature import SignatureVerifier  # noqa: E402
from chalicelib.verify.trust import TrustStore  # noqa: E402
from chalicelib.voting.ballot import ballot_bytes  # noqa: E402
from devtools import devpki  # noqa: E402

GOAL_RSA = 2.0  # ours within 2x of the floor
KALKAN_AT = datetime(2022, 9, 28, tzinfo=UTC)


@dataclass
class Row:
    algorithm: str
    ours: float  # seconds per ballot (median)
    reference: float  # seconds per ballot of the floor or peer (median)
    reference_name: str
    runs: str
    note: str = ""


# --- RSA-2048 and ECDSA P-256 through SignatureVerifier ---

@dataclass
class Ballot:
    cms: bytes
    content: bytes
    signed_attributes: bytes
    signature: bytes
    leaf_der: bytes


def make_ballots(kind: str, count: int) -> tuple[devpki.Issued, devpki.Issued, list[Ballot], Ballot]:
    start = datetime.now(UTC) - timedelta(days=10)
    ca_key = devpki.new_key("rsa" if kind == "rsa" else "ec256")
    inter_key = devpki.new_key("rsa" if kind == "rsa" else "ec256")
    root = devpki.issue_ca("BENCH ROOT", key=ca_key, not_before=start)
    inter = devpki.issue_ca("BENCH NCA", issuer=root, key=inter_key, not_before=start, path_length=0)
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
        digest = hashlib.sha256(ballot.content).digest()
        assert digest
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


def per_ballot(fn: Callable[[Ballot], object], ballots: list[Ballot]) -> list[float]:
    """Seconds of each ballot (timed one by one: on a shared machine the median of single
    ballots shrugs off the time slices other processes take)."""
    gc.collect()
    samples = []
    for ballot in ballots:
        start = time.perf_counter()
        fn(ballot)
        samples.append(time.perf_counter() - start)
    return samples


def measure_classic(kind: str, label: str, count: int, runs: int) -> Row:
    print(f"# {label}: making {count} citizens and ballots...", flush=True)
    root, inter, ballots, warm = make_ballots(kind, count)
    floor = floor_verifier(kind, inter)
    at = datetime.now(UTC)
    ours_samples: list[float] = []
    floor_samples: list[float] = []
    for run in range(runs):
        algorithms._load_key.cache_clear()  # no key parsed by an earlier run
        verifier = SignatureVerifier(TrustStore([Certificate(root.der)]))
        verifier.verify(warm.cms, at)  # a warm container: the CA link is known, the citizen is new

        def ours(ballot: Ballot, verifier: SignatureVerifier = verifier) -> object:
            return verifier.verify(ballot.cms, at)

        pair = [("ours", ours), ("floor", floor)]
        for name, fn in pair if run % 2 == 0 else reversed(pair):
            (ours_samples if name == "ours" else floor_samples).extend(per_ballot(fn, ballots))
    return Row(label, median(ours_samples), median(floor_samples), "floor (raw `cryptography`)",
               f"{runs} × {count} ballots")


def breakdown(kind: str, count: int) -> list[tuple[str, float]]:
    """Where one ballot's time goes: the verifier's steps timed one by one (µs, median)."""
    root, _, ballots, warm = make_ballots(kind, count)
    algorithms._load_key.cache_clear()
    verifier = SignatureVerifier(TrustStore([Certificate(root.der)]))
    at = datetime.now(UTC)
    verifier.verify(warm.cms, at)
    steps: dict[str, list[float]] = {name: [] for name in (
        "parse the CMS (asn1crypto)", "read the certificates", "digest + signature over the signed attributes",
        "path: the citizen's link, CA flags, validity", "revocation lookup", "profile: SIGN key, individual, IIN")}
    names = list(steps)
    for ballot in ballots:
        marks = [time.perf_counter()]
        signed = signature._parse(ballot.cms)
        one = signed.signers[0]
        marks.append(time.perf_counter())
        certificates = signature._certificates(signed.certificates)
        certificate = signature._signer_certificate(one, certificates)
        marks.append(time.perf_counter())
        assert signed.content is not None
        signature._check_digest(one, signed.content)
        signature._check_signature(one, certificate)
        marks.append(time.perf_counter())
        path = verifier.trust.path(certificate, certificates, at)
        marks.append(time.perf_counter())
        verifier.revocation.check_path(path, at)
        marks.append(time.perf_counter())
        assert certificate.is_signing_key and certificate.is_individual and certificate.iin
        assert certificate.serial_hex and certificate.issuer_text
        marks.append(time.perf_counter())
        for i, name in enumerate(names):
            steps[name].append(marks[i + 1] - marks[i])
    return [(name, median(values) * 1e6) for name, values in steps.items()]


# --- GOST through the module functions ---

def pki_dir() -> Path:
    return Path(os.environ.get("VOTING_TEST_PKI_DIR", ROOT / ".." / "shared" / "nca-test-pki")).resolve()


def load_certificate(path: Path) -> Certificate:
    return Certificate.from_pem_or_der(path.read_bytes())[0]


def forget_key(spki_der: bytes) -> None:
    """Make a GOST public key unknown again, as a new citizen's key is."""
    from chalicelib.verify.gost import signature as gost_signature

    key = gost_signature.parse_spki(spki_der)
    with key.curve._lock:
        key.curve._key_tables.pop((key.x, key.y), None)
    gost_signature._parse_spki.cache_clear()


def timed_samples(fn: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def gost2015(folder: Path, runs: int, peer_runs: int) -> Row:
    from bench.gost import Case, peer_verifier

    cms_der = (folder / "cms-kalkan" / "attached_two_signers.p7s").read_bytes()
    anchor = load_certificate(folder / "gost2015" / "nca_gost2022_test.cer")
    parsed = parse_signed_data(cms_der)
    signer = parsed.signers[0]
    leaf = signature._signer_certificate(signer, [Certificate(d) for d in parsed.certificates])
    assert signer.signed_attributes is not None and parsed.content is not None
    if not algorithms.name(signer.signature_oid).startswith("GOST 34.10-2015"):
        raise SystemExit("signer 0 of attached_two_signers.p7s is not the GOST-2015 signer")

    def ours() -> None:
        forget_key(leaf.spki_der)
        signed = parse_signed_data(cms_der)
        one = signed.signers[0]
        certificates = [Certificate(d) for d in signed.certificates]
        certificate = signature._signer_certificate(one, certificates)
        assert signed.content is not None
        signature._check_digest(one, signed.content)
        signature._check_signature(one, certificate)
        TrustStore([anchor]).path(certificate, certificates, KALKAN_AT)  # a new store: the link is not cached

    sign_case = Case("2015", "signer 0", leaf.spki_der, signer.signature_oid, signer.signed_attributes,
                     signer.signature)
    link_case = Case("2015", "link", anchor.spki_der, leaf.signature_oid, leaf.tbs, leaf.signature)
    content = parsed.content
    peer_sign, peer_link = peer_verifier(sign_case), peer_verifier(link_case)

    def peer() -> None:
        from gostcrypto import gosthash

        gosthash.new("streebog512", data=content).digest()
        assert peer_sign() and peer_link()

    return gost_row("GOST 34.10-2015/512 (Kalkan CMS signer + link)", ours, peer, runs, peer_runs,
                    "real Kalkan CMS, 7-byte content")


def gost2004(folder: Path, runs: int, peer_runs: int) -> Row:
    from bench.gost import Case, generated_cases, peer_verifier

    anchor = load_certificate(folder / "gost2004" / "nca_gost_test.pem")
    leaf = load_certificate(folder / "gost2004" / "ceo_sign_valid_2022.pem")
    stand_in = generated_cases()[1]
    assert stand_in.family == "2004"
    key = algorithms.PublicKey(stand_in.spki, "1.2.398.3.10.1.1.1.1")
    at = datetime(2022, 9, 28, tzinfo=UTC)

    def ours() -> None:
        forget_key(stand_in.spki)
        digest = algorithms.digest("1.2.398.3.10.1.3.1", stand_in.message)  # the CMS messageDigest step
        assert digest
        assert algorithms.verify(key, stand_in.sig_oid, stand_in.message, stand_in.signature)
        fresh = Certificate(leaf.der)
        TrustStore([anchor]).path(fresh, [], at)

    link_case = Case("2004", "link", anchor.spki_der, leaf.signature_oid, leaf.tbs, leaf.signature)
    peer_sign, peer_link = peer_verifier(stand_in), peer_verifier(link_case)

    def peer() -> None:
        from chalicelib.verify.gost.gost94 import gost94

        gost94(stand_in.message)
        assert peer_sign() and peer_link()

    return gost_row("GOST 34.310-2004 (signature + link)", ours, peer, runs, peer_runs,
                    "signature: gostcrypto-made key over 1 KB; link: real NCA certificates")


def gost_row(label: str, ours: Callable[[], None], peer: Callable[[], None], runs: int, peer_runs: int,
             note: str) -> Row:
    print(f"# {label}...", flush=True)
    ours()
    ours()  # the CA key's tables are built on its second sighting: warm them, as in a container
    peer()
    ours_samples: list[float] = []
    peer_samples: list[float] = []
    per_round = max(1, runs // peer_runs)
    while len(ours_samples) < runs or len(peer_samples) < peer_runs:
        ours_samples += timed_samples(ours, min(per_round, max(0, runs - len(ours_samples))))
        if len(peer_samples) < peer_runs:
            peer_samples += timed_samples(peer, 1)
    return Row(label, median(ours_samples), median(peer_samples), "peer (gostcrypto 1.2.5)",
               f"{runs} ours, {peer_runs} peer", note)


def report(rows: list[Row], skipped: str | None, steps: list[tuple[str, float]]) -> str:
    lines = ["## Ballot verification, one core", "", f"Machine: {machine()}.", ""]
    lines.append(
        "Ballots/s on one thread (= per core) = 1 / the median time of one ballot over all runs; ratio = our "
        "time per ballot / the reference's. Floor (RSA, ECDSA) = raw `cryptography`: load the citizen's "
        "certificate, hash the ballot, verify the signature over the signed attributes and the certificate's "
        "link to its issuer. Peer (GOST) = gostcrypto's hash and verify of the same signatures. Ours (RSA, "
        "ECDSA) = `SignatureVerifier.verify` on a warm verifier, a new citizen per ballot; (GOST) the same "
        "steps through `cms`, `algorithms.verify` and `TrustStore.path` (the verifier takes one signer only "
        "and the Kalkan GOST CMS has two), the citizen's key cold.")
    lines.append("")
    lines.append("| algorithm | ours ballots/s | ours ms | reference | reference ballots/s | ratio ours/ref "
                 "(time) | runs | goal |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for row in rows:
        ratio = row.ours / row.reference
        goal = ""
        if row.algorithm.startswith("RSA"):
            goal = f"≤ {GOAL_RSA:.0f}× floor: {verdict(ratio <= GOAL_RSA)}"
        elif row.reference_name.startswith("peer"):
            goal = f"{row.reference / row.ours:.0f}× faster than the peer"
        lines.append(f"| {row.algorithm} | {1 / row.ours:,.0f} | {row.ours * 1e3:.3f} | {row.reference_name} | "
                     f"{1 / row.reference:,.1f} | {ratio:.2f}× | {row.runs} | {goal} |")
    lines.append("")
    for row in rows:
        if row.note:
            lines.append(f"- {row.algorithm}: {row.note}.")
    if skipped:
        lines.append(f"- GOST rows skipped: {skipped}.")
    if steps:
        total = sum(us for _, us in steps)
        lines.append("")
        lines.append("Where an RSA-2048 ballot's time goes (the verifier's steps timed one by one, median µs; "
                     "the floor's whole work is the two RSA verifications and a hash):")
        lines.append("")
        lines.append("| step | µs | share |")
        lines.append("|---|---|---|")
        for name, us in steps:
            lines.append(f"| {name} | {us:.0f} | {us / total:.0%} |")
    rsa_rows = [r for r in rows if r.algorithm.startswith("RSA")]
    if rsa_rows:
        ratio = rsa_rows[0].ours / rsa_rows[0].reference
        lines.append("")
        lines.append(f"Goal: RSA-2048 within {GOAL_RSA:.0f}× of its floor — {verdict(ratio <= GOAL_RSA)} "
                     f"({ratio:.2f}×).")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ballots", type=int, default=200, help="citizens (ballots) per RSA/ECDSA run")
    parser.add_argument("--runs", type=int, default=7, help="runs for RSA/ECDSA (median)")
    parser.add_argument("--gost-runs", type=int, default=30, help="timed GOST ballots of ours")
    parser.add_argument("--peer-runs", type=int, default=5, help="timed GOST ballots of gostcrypto")
    parser.add_argument("--no-gost", action="store_true")
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    print(f"# {machine()}", flush=True)
    rows = [measure_classic("rsa", "RSA-2048 (PKCS#1 v1.5, SHA-256)", args.ballots, args.runs),
            measure_classic("ec256", "ECDSA P-256 (SHA-256)", args.ballots, args.runs)]
    skipped = None
    folder = pki_dir()
    if args.no_gost:
        skipped = "--no-gost"
    elif not (folder / "cms-kalkan" / "attached_two_signers.p7s").is_file():
        skipped = f"the NCA test files are not at {folder} (set VOTING_TEST_PKI_DIR)"
    else:
        rows.append(gost2015(folder, args.gost_runs, args.peer_runs))
        rows.append(gost2004(folder, args.gost_runs, args.peer_runs))
    steps = breakdown("rsa", args.ballots)
    write_section(args.markdown, report(rows, skipped, steps))


if __name__ == "__main__":
    main()
