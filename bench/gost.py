#!/usr/bin/env python3
"""Benchmark of chalicelib.verify.gost: one GOST signature check of a real certificate.

    .venv/bin/python bench/gost.py [--runs 60] [--peer-runs 8] [--markdown PATH]

For GOST 34.10-2015/512 (individual_valid_2022.pem's tbsCertificate against
nca_gost2022_test.cer) and GOST 34.310-2004 (ceo_sign_valid_2022.pem against nca_gost_test.pem)
it times the whole chalicelib.verify.gost.verify() call: hashing the tbsCertificate, parsing the
issuer's SPKI and the curve work.

* cold key: the key caches are emptied before every call, so each one pays for an unknown
  public key (the headline figure);
* warm key: the same issuer key again and again, as CA keys recur in practice (the per-key
  tables are built before timing starts);
* gostcrypto: its own Streebog-512 and its GOST 34.10 verify on the same certificate, timed in
  the same run and interleaved with ours.  gostcrypto has no GOST 34.311-95, so its 2004 figure
  is its verify plus our hash (which is the smaller part).

The generator tables are built once per process and not timed; their one-time cost is printed.
Without the NCA files (../shared/nca-test-pki or $VOTING_TEST_PKI_DIR) a key made by
gostcrypto signs 1 KB of random data instead.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gostcrypto import gosthash, gostsignature  # noqa: E402

from bench import common  # noqa: E402
from chalicelib.verify.gost import signature as gost_signature  # noqa: E402
from chalicelib.verify.gost import verify  # noqa: E402
from chalicelib.verify.gost.curves import CRYPTOPRO_A, PARAMSET_512_A  # noqa: E402
from chalicelib.verify.gost.gost94 import gost94  # noqa: E402
from chalicelib.verify.gost.streebog import streebog512  # noqa: E402

PEER_CURVES = {
    "2015": ("id-tc26-gost-3410-12-512-paramSetA", gostsignature.MODE_512, 64),
    "2004": ("id-tc26-gost-3410-2012-256-paramSetB", gostsignature.MODE_256, 32),
}
GOAL_MS = 10.0
GOAL_RATIO = 60.0


class Case:
    def __init__(self, family: str, source: str, spki: bytes, sig_oid: str, message: bytes,
                 signature: bytes) -> None:
        self.family, self.source = family, source
        self.spki, self.sig_oid, self.message, self.signature = spki, sig_oid, message, signature
        self.key = gost_signature.parse_spki(spki)


def pki_dir() -> Path:
    default = ROOT / ".." / "shared" / "nca-test-pki"
    return Path(os.environ.get("VOTING_TEST_PKI_DIR", default)).resolve()


def real_cases(folder: Path) -> list[Case]:
    from asn1crypto import x509 as ax509
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    def load(path: Path) -> x509.Certificate:
        data = path.read_bytes()
        if data.startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)

    def spki(cert: x509.Certificate) -> bytes:
        tbs = ax509.Certificate.load(cert.public_bytes(Encoding.DER))["tbs_certificate"]
        return tbs["subject_public_key_info"].dump()

    cases = []
    for family, leaf, issuer in (
        ("2015", "gost2015/individual_valid_2022.pem", "gost2015/nca_gost2022_test.cer"),
        ("2004", "gost2004/ceo_sign_valid_2022.pem", "gost2004/nca_gost_test.pem"),
    ):
        cert, ca = load(folder / leaf), load(folder / issuer)
        cases.append(Case(family, f"{leaf} against {issuer}", spki(ca),
                          cert.signature_algorithm_oid.dotted_string,
                          cert.tbs_certificate_bytes, cert.signature))
    return cases


def der(tag: int, content: bytes) -> bytes:
    n = len(content)
    head = bytes([n]) if n < 0x80 else bytes([0x81, n]) if n < 0x100 else bytes([0x82]) + \
        n.to_bytes(2, "big")
    return bytes([tag]) + head + content


def der_oid(oid: str) -> bytes:
    arcs = [int(a) for a in oid.split(".")]
    out = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | arc & 0x7F)
            arc >>= 7
        out += bytes(reversed(chunk))
    return der(0x06, bytes(out))


def generated_cases() -> list[Case]:
    rng = random.Random(1)
    cases = []
    for family, key_oid, params, sig_oid in (
        ("2015", gost_signature.KEY_GOST2015_512, "1.2.398.3.10.1.1.2.2.1",
         gost_signature.SIGNATURE_GOST2015_512),
        ("2004", gost_signature.KEY_GOST2004, "1.2.398.3.10.1.1.1.1.1",
         gost_signature.SIGNATURE_GOST2004),
    ):
        name, mode, size = PEER_CURVES[family]
        engine = gostsignature.new(mode, gostsignature.CURVES_R_1323565_1_024_2019[name])
        private = bytearray(rng.randbytes(size))
        private[0] &= 0x3F
        public = engine.public_key_generate(bytearray(private))
        key = public[:size][::-1] + public[size:][::-1]
        spki = der(0x30, der(0x30, der_oid(key_oid) + der(0x30, der_oid(params)))
                   + der(0x03, b"\x00" + der(0x04, bytes(key))))
        message = rng.randbytes(1024)
        digest = streebog512(message) if family == "2015" else gost94(message)
        out = engine.sign(bytearray(private), bytearray(digest[::-1]))
        signature = bytes(out[:size][::-1] + out[size:][::-1])
        cases.append(Case(family, "1 KB of random data, key and signature made by gostcrypto",
                          spki, sig_oid, message, signature))
    return cases


def peer_verifier(case: Case):
    """gostcrypto's hash + verify of the same signature (its byte orders are big-endian)."""
    name, mode, size = PEER_CURVES[case.family]
    engine = gostsignature.new(mode, gostsignature.CURVES_R_1323565_1_024_2019[name])
    public = bytearray(case.key.x.to_bytes(size, "big") + case.key.y.to_bytes(size, "big"))
    signature = bytearray(case.signature[:size][::-1] + case.signature[size:][::-1])

    def run() -> bool:
        if case.family == "2015":
            digest = bytes(gosthash.new("streebog512", data=case.message).digest())
        else:
            digest = gost94(case.message)  # gostcrypto has no GOST 34.311-95
        return engine.verify(public, bytearray(digest[::-1]), signature)

    return run


def clear_caches() -> None:
    gost_signature._parse_spki.cache_clear()
    PARAMSET_512_A.clear_key_cache()
    CRYPTOPRO_A.clear_key_cache()


def timed(fn) -> float:
    start = time.perf_counter()
    ok = fn()
    elapsed = time.perf_counter() - start
    if not ok:
        raise SystemExit("benchmark input did not verify")
    return elapsed


def stats(samples: list[float]) -> tuple[float, float]:
    """(median, p90) in milliseconds, nearest-rank."""
    return common.median(samples) * 1e3, common.percentile(samples, 90) * 1e3


def measure_case(case: Case, runs: int, peer_runs: int) -> dict:
    def ours() -> bool:
        return verify(case.spki, case.sig_oid, case.message, case.signature)

    def ours_cold() -> bool:
        clear_caches()
        return verify(case.spki, case.sig_oid, case.message, case.signature)

    curve = case.key.curve
    start = time.perf_counter()
    curve.generator_table  # noqa: B018 - built on first use
    g_build = time.perf_counter() - start
    start = time.perf_counter()
    curve.generator_split_tables  # noqa: B018
    g_split_build = time.perf_counter() - start
    clear_caches()
    ours()  # first sighting of the key: cold path
    start = time.perf_counter()
    ours()  # second sighting: builds the key's tables
    key_build = time.perf_counter() - start
    peer = peer_verifier(case)
    peer()  # warm gostcrypto's imports and caches too

    cold, warm, theirs = [], [], []
    per_round = max(1, runs // peer_runs)
    while len(cold) < runs or len(theirs) < peer_runs:
        for _ in range(per_round):
            if len(cold) < runs:
                cold.append(timed(ours_cold))
        if len(theirs) < peer_runs:
            theirs.append(timed(peer))
        ours()  # make the key warm again after the cold runs emptied the cache
        ours()
        for _ in range(per_round):
            if len(warm) < runs:
                warm.append(timed(ours))
    return {"cold": stats(cold), "warm": stats(warm), "peer": stats(theirs),
            "runs": runs, "peer_runs": len(theirs), "g_build": g_build * 1e3,
            "g_split_build": g_split_build * 1e3, "key_build": key_build * 1e3}


def measure_hashes(runs: int) -> list[tuple[str, float, float]]:
    data = random.Random(2).randbytes(1024)
    rows = []
    for name, fn in (
        ("Streebog-512 (ours)", lambda: streebog512(data)),
        ("Streebog-512 (gostcrypto)",
         lambda: gosthash.new("streebog512", data=data).digest()),
        ("GOST 34.311-95 (ours)", lambda: gost94(data)),
    ):
        fn()
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
        median, p90 = stats(samples)
        rows.append((name, median, p90))
    return rows


def report(cases: list[Case], results: list[dict], hashes: list, source_note: str) -> str:
    lines = ["## GOST signature verification (`chalicelib/verify/gost`: Python, the curve arithmetic on GMP)", ""]
    lines.append(f"Machine: {common.machine()}.")
    lines.append("")
    lines.append(f"Input: {source_note}. One `chalicelib.verify.gost.verify()` call = hash the "
                 "tbsCertificate + parse the issuer SPKI + GOST 34.10 check. Cold key: key "
                 "caches emptied before every call (headline). Warm key: the same CA key again "
                 "(its tables cached). gostcrypto 1.2.5: its own hash + its verify, same input, "
                 "same run, interleaved with ours. Times in ms, median (p90).")
    lines.append("")
    lines.append("| algorithm | message | ours, cold key | ours, warm key | gostcrypto "
                 "| speed-up cold (warm) |")
    lines.append("|---|---|---|---|---|---|")
    verdicts = []
    for case, res in zip(cases, results, strict=True):
        label = ("GOST 34.10-2015/512, Streebog-512" if case.family == "2015"
                 else "GOST 34.310-2004, GOST 34.311-95")
        peer_label = "" if case.family == "2015" else " ‡"
        (cm, cp), (wm, wp), (pm, pp) = res["cold"], res["warm"], res["peer"]
        lines.append(f"| {label} | {len(case.message)} B | {cm:.2f} ({cp:.2f}) | "
                     f"{wm:.2f} ({wp:.2f}) | {pm:.1f} ({pp:.1f}){peer_label} | "
                     f"{pm / cm:.0f}x ({pm / wm:.0f}x) |")
        if case.family == "2015":
            verdicts.append((cm, pm / cm))
    lines.append("")
    runs = results[0]
    lines.append(f"Runs: ours {runs['runs']} cold + {runs['runs']} warm per algorithm, "
                 f"gostcrypto {runs['peer_runs']}. ‡ gostcrypto has no GOST 34.311-95: its "
                 "2004 figure is its verify plus our hash. One-time costs per process, not in "
                 "the figures: the generator table (first GOST call) "
                 + ", ".join(f"{r['g_build']:.0f} ms ({c.family})"
                             for c, r in zip(cases, results, strict=True))
                 + "; the generator's split tables (first recurring key) "
                 + ", ".join(f"{r['g_split_build']:.0f} ms ({c.family})"
                             for c, r in zip(cases, results, strict=True))
                 + "; a recurring key's own tables (its second sighting) "
                 + ", ".join(f"{r['key_build']:.1f} ms ({c.family})"
                             for c, r in zip(cases, results, strict=True)) + ".")
    lines.append("")
    lines.append("| hash, 1 KB | median ms (p90) | MB/s |")
    lines.append("|---|---|---|")
    for name, median, p90 in hashes:
        lines.append(f"| {name} | {median:.2f} ({p90:.2f}) | {1024 / median / 1e3:.2f} |")
    lines.append("")
    for cold_ms, ratio in verdicts:
        met_ms = cold_ms <= GOAL_MS
        met_ratio = ratio >= GOAL_RATIO
        lines.append(
            f"Goal (GOST-2015/512, cold key): ≤ {GOAL_MS:.0f} ms — "
            f"{'met' if met_ms else 'MISSED'} ({cold_ms:.2f} ms); ≥ {GOAL_RATIO:.0f}x "
            f"gostcrypto — {'met' if met_ratio else 'MISSED'} ({ratio:.0f}x).")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=60,
                        help="timed calls of ours (50 or more for figures worth quoting; fewer for a smoke run)")
    parser.add_argument("--peer-runs", type=int, default=8,
                        help="timed gostcrypto calls (5 or more for figures worth quoting)")
    parser.add_argument("--markdown", type=Path, help="also write the Markdown section here")
    args = parser.parse_args()
    folder = pki_dir()
    if folder.is_dir():
        cases = real_cases(folder)
        note = "real NCA certificates, " + "; ".join(c.source for c in cases)
    else:
        cases = generated_cases()
        note = f"NCA files not found at {folder}: {cases[0].source}"
    print(f"# {common.machine()}", flush=True)
    results = []
    for case in cases:
        print(f"# timing GOST {case.family} ({len(case.message)} B)...", flush=True)
        results.append(measure_case(case, args.runs, args.peer_runs))
    hashes = measure_hashes(max(args.runs, 50))
    text = report(cases, results, hashes, note)
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
