#!/usr/bin/env python3
"""Benchmark of revocation at national scale: the CRL refresher and the vote side's index.

    .venv/bin/python bench/revocation.py [--sizes 10000,100000,1000000] [--kinds rsa,gost]
        [--twenty-mb | --no-twenty-mb] [--lookups 20000] [--runs 5] [--data-dir DIR] [--markdown PATH]

CRLs shaped like the NCA's (20-byte serials, a reasonCode on every entry, as in its real CRLs),
of each size, signed by a development CA with RSA-4096 (sha256WithRSAEncryption) or GOST
34.10-2015/512 (Streebog-512, `devtools.gost_keys`), with the NCA's quirk (no NULL inside
tbsCertList, NULL outside). Made once and kept in the data folder (.local/bench-revocation), since
signing a large GOST CRL costs as much as verifying it. Per CRL, one core:

- refresher = `crl_refresh.refresh` in a fresh process (read the file, SHA-256 of it, parse every
  entry, verify the signature with the CA's key, sort, write the HMAC-sealed index), against its
  floor: the hash the signature needs over the same bytes (SHA-256 or Streebog), the one cost
  no verifier avoids; its peak memory (the child's VmHWM);
- index bytes, against the CRL's;
- vote-side load = `IndexFolder.fetch` + `read_index` (read the file, check the HMAC and the
  header), against its floor: reading the index file's bytes; medians of `--runs`;
- lookup = `RevocationIndex.revoked_at` (bisection over the records in place), half the serials
  listed, half not, against a dict lookup over the same serials; medians over `--lookups`;
- memory = peak of the Python heap while loading the index and looking serials up
  (tracemalloc), against the index's size.

Goals at 10^6 entries: load ≤ 0.3 s, lookup ≤ 20 µs, memory ≤ 1.5× the index; a 20 MB GOST CRL
refreshed in ≤ 1/4 of the refresher's Lambda timeout (600 s, .chalice/config.json).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import machine, median, verdict, write_section  # noqa: E402

GOAL_LOAD_S, GOAL_LOOKUP_US, GOAL_MEMORY, GOAL_TIMEOUT_SHARE = 0.3, 20.0, 1.5, 0.25
TWENTY_MB = 20 * 1000 * 1000
KEY = b"bench index key, 32 bytes long.."
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
FORMAT = 1  # of the kept CRLs: made again when this changes
REFRESH_CODE = """
import json, sys, time, hashlib
from pathlib import Path
from chalicelib.adapters.pki_folders import IndexFolder
from chalicelib.verify import algorithms
from chalicelib.verify.certificate import Certificate
from chalicelib.verify.crl_refresh import refresh
from chalicelib.verify.trust import TrustStore
from datetime import datetime
crl_path, ca_path, out, key, now, digest_oid = sys.argv[1:7]
data = Path(crl_path).read_bytes()
trust = TrustStore([Certificate(Path(ca_path).read_bytes())])
algorithms.digest(digest_oid, b"warm")
began = time.perf_counter()
algorithms.digest(digest_oid, data)
floor = time.perf_counter() - began
began = time.perf_counter()
report = refresh([crl_path], lambda name: Path(name).read_bytes(), trust, IndexFolder(out), key.encode(),
                 datetime.fromisoformat(now))
seconds = time.perf_counter() - began
assert len(report.written) == 1, report
# VmHWM is this process image's own peak (ru_maxrss would also count the parent's pages at fork).
peak = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
            if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "floor": floor, "peak_mib": peak / 1024}))
"""
SHA256, STREEBOG = "2.16.840.1.101.3.4.2.1", "1.2.398.3.10.1.3.3"


def refresher_timeout() -> float:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return float(config["stages"]["prod"]["lambda_functions"]["refresh_crls"]["lambda_timeout"])


def serials(count: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.getrandbits(159) | 1 << 152 for _ in range(count)]  # 20 bytes, as the NCA's


def make_crl(kind: str, count: int, folder: Path) -> tuple[Path, Path]:
    """The CRL and its CA's certificate (DER), made once per kind and size."""
    crl_path, ca_path = folder / f"{kind}-{count}-v{FORMAT}.crl", folder / f"{kind}-{count}-v{FORMAT}-ca.der"
    if crl_path.is_file() and ca_path.is_file():
        print(f"# {kind} {count:,}: reusing {crl_path}", flush=True)
        return crl_path, ca_path
    from cryptography.hazmat.primitives.asymmetric import rsa

    from devtools import devpki, gost_keys

    print(f"# {kind} {count:,}: making the CRL...", flush=True)
    began = time.perf_counter()
    start = NOW - timedelta(days=30)
    if kind == "rsa":
        ca = devpki.issue_ca("BENCH NCA (RSA)", key=rsa.generate_private_key(65537, 4096), not_before=start)
        signer, ca_der = devpki.crl_signer(ca), ca.der
    else:
        gost_ca = gost_keys.issue_gost_ca("BENCH NCA (GOST)", not_before=start)
        signer, ca_der = gost_ca.crl_signer(), gost_ca.certificate_der
    times = [NOW - timedelta(seconds=37 * n) for n in range(5000)]
    listed = serials(count, seed=count)
    revoked = {serial: times[n % len(times)] for n, serial in enumerate(listed)}
    reasons = {serial: (1, 4, 5, 6)[n % 4] for n, serial in enumerate(listed)}  # keyCompromise, superseded, ...
    data = devpki.issue_crl(signer, revoked, this_update=NOW - timedelta(hours=1), next_update=NOW + timedelta(days=1),
                            number=1000 + count, reasons=reasons, inner_null=False, outer_null=True)
    folder.mkdir(parents=True, exist_ok=True)
    ca_path.write_bytes(ca_der)
    crl_path.write_bytes(data)
    print(f"#   {len(data) / 1e6:.1f} MB in {time.perf_counter() - began:.0f} s", flush=True)
    return crl_path, ca_path


def entries_for(size: int) -> int:
    """How many NCA-shaped entries make a CRL of about `size` bytes (50 bytes each)."""
    return size // 50


def refresh_in_child(kind: str, crl_path: Path, ca_path: Path, out: Path) -> dict[str, float]:
    command = [sys.executable, "-c", REFRESH_CODE, str(crl_path), str(ca_path), str(out), KEY.decode(),
               NOW.isoformat(), SHA256 if kind == "rsa" else STREEBOG]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode != 0:
        raise SystemExit(f"the refresher failed on {crl_path}: {done.stderr[-2000:]}")
    figures: dict[str, float] = json.loads(done.stdout)
    return figures


def vote_side(index_path: Path, issuer: bytes, listed: list[int], lookups: int, runs: int) -> dict[str, float]:
    from chalicelib.adapters.pki_folders import IndexFolder
    from chalicelib.verify.revocation_index import read_index

    folder = IndexFolder(index_path.parent)
    loads, floors = [], []
    for run in range(runs):
        gc.collect()
        order = ("floor", "load") if run % 2 else ("load", "floor")
        for name in order:
            began = time.perf_counter()
            if name == "floor":
                index_path.read_bytes()
                floors.append(time.perf_counter() - began)
            else:
                data, _ = folder.fetch(index_path.name, None)  # type: ignore[misc]
                read_index(data, KEY, issuer)
                loads.append(time.perf_counter() - began)
    rng = random.Random(7)
    absent = serials(lookups // 2, seed=-1)
    probes = [rng.choice(listed) for _ in range(lookups - len(absent))] + absent
    rng.shuffle(probes)
    gc.collect()
    tracemalloc.start()  # from here: what a vote function holds for this CA
    data, _ = folder.fetch(index_path.name, None)  # type: ignore[misc]
    index = read_index(data, KEY, issuer)
    del data
    for serial in probes[:1000]:
        index.revoked_at(serial)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    found = sum(index.revoked_at(serial) is not None for serial in probes)
    assert found == lookups - len(absent), "the index does not answer what the CRL says"
    began = time.perf_counter()
    for serial in probes:
        index.revoked_at(serial)
    lookup = (time.perf_counter() - began) / len(probes)
    table = dict.fromkeys(listed, 0)
    began = time.perf_counter()
    for serial in probes:
        table.get(serial)
    floor_lookup = (time.perf_counter() - began) / len(probes)
    return {"load": median(loads), "load_floor": median(floors), "lookup": lookup, "lookup_floor": floor_lookup,
            "memory": peak, "size": index.size}


def measure(kind: str, count: int, folder: Path, args: argparse.Namespace) -> dict[str, object]:
    from chalicelib.verify.certificate import Certificate
    from chalicelib.verify.revocation_index import index_name

    crl_path, ca_path = make_crl(kind, count, folder)
    issuer = Certificate(ca_path.read_bytes()).fingerprint
    with tempfile.TemporaryDirectory(prefix="bench-index-") as scratch:
        out = Path(scratch)
        print(f"# {kind} {count:,}: refreshing in a fresh process...", flush=True)
        refreshed = refresh_in_child(kind, crl_path, ca_path, out)
        print(f"#   {refreshed['seconds']:.1f} s (hash alone {refreshed['floor']:.1f} s), "
              f"peak {refreshed['peak_mib']:.0f} MiB", flush=True)
        side = vote_side(out / index_name(issuer), issuer, serials(count, seed=count), args.lookups, args.runs)
    print(f"#   load {side['load'] * 1e3:.1f} ms, lookup {side['lookup'] * 1e6:.1f} µs", flush=True)
    return {"kind": kind, "entries": count, "crl": crl_path.stat().st_size, **refreshed, **side}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="entries of each CRL, comma-separated")
    parser.add_argument("--kinds", default="rsa,gost")
    parser.add_argument("--twenty-mb", action=argparse.BooleanOptionalAction, default=True,
                        help="also a GOST CRL of 20 MB, for the refresher's goal")
    parser.add_argument("--lookups", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".local" / "bench-revocation")
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    print(f"# {machine()}", flush=True)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    kinds = [k for k in args.kinds.split(",") if k]
    cases = [(kind, size) for kind in kinds for size in sizes]
    if args.twenty_mb and "gost" in kinds:
        cases.append(("gost", entries_for(TWENTY_MB)))
    rows = [measure(kind, size, args.data_dir, args) for kind, size in cases]
    write_section(args.markdown, report(rows, args))


INTRO = (
    "CRLs shaped like the NCA's (20-byte serials, a reasonCode on every entry), signed by a development CA with "
    "RSA-4096 or GOST 34.10-2015/512, with the NCA's NULL-parameter quirk; one core. Refresher = "
    "`crl_refresh.refresh` in a fresh process (SHA-256 of the file, every entry parsed, the signature verified, the "
    "records sorted, the HMAC-sealed index written), its floor the hash its signature needs over the same bytes, "
    "its peak the process's resident high-water mark (VmHWM). Load = the vote function's read of the index "
    "(`IndexFolder.fetch` + `read_index`: the bytes, the HMAC, the header), its floor reading the file's bytes; "
    "median of {runs}. Lookup = `revoked_at` (bisection over the records in place), {lookups:,} serials half "
    "listed, half not, its floor a dict lookup over the same serials. Memory = Python's peak heap while loading "
    "the index and looking up (tracemalloc), against the index's size."
)


def report(rows: list[dict], args: argparse.Namespace) -> str:
    timeout = refresher_timeout()
    lines = ["## Revocation at national scale: the CRL refresher and the vote side's index", "",
             f"Machine: {machine()}.", "",
             INTRO.format(runs=args.runs, lookups=args.lookups), "",
             "| CRL | MB | refresher s | hash alone s | × hash | refresher peak MiB | index MB | index ÷ CRL | "
             "load ms | read bytes ms | × read | lookup µs | dict µs | × dict | memory ÷ index |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['kind'].upper()} {row['entries']:,} | {row['crl'] / 1e6:.1f} | {row['seconds']:.2f} | "
            f"{row['floor']:.2f} | {row['seconds'] / row['floor']:.1f}× | {row['peak_mib']:.0f} | "
            f"{row['size'] / 1e6:.1f} | {row['size'] / row['crl']:.2f} | {row['load'] * 1e3:.1f} | "
            f"{row['load_floor'] * 1e3:.1f} | {row['load'] / row['load_floor']:.1f}× | {row['lookup'] * 1e6:.2f} | "
            f"{row['lookup_floor'] * 1e6:.3f} | {row['lookup'] / row['lookup_floor']:.0f}× | "
            f"{row['memory'] / row['size']:.2f} |")
    lines.append("")
    largest = max(row["entries"] for row in rows)
    top = [row for row in rows if row["entries"] == largest]
    label = f"{largest:,} entries"
    worst_load = max(row["load"] for row in top)
    worst_lookup = max(row["lookup"] for row in top) * 1e6
    worst_memory = max(row["memory"] / row["size"] for row in top)
    lines.append(f"Goal: at {label}, vote-side load ≤ {GOAL_LOAD_S} s — {verdict(worst_load <= GOAL_LOAD_S)} "
                 f"({worst_load * 1e3:.0f} ms at most).")
    lines.append(f"Goal: at {label}, lookup ≤ {GOAL_LOOKUP_US:.0f} µs — {verdict(worst_lookup <= GOAL_LOOKUP_US)} "
                 f"({worst_lookup:.1f} µs at most).")
    lines.append(f"Goal: at {label}, memory ≤ {GOAL_MEMORY}× the index — {verdict(worst_memory <= GOAL_MEMORY)} "
                 f"({worst_memory:.2f}× at most).")
    big_gost = [row for row in rows if row["kind"] == "gost" and row["crl"] >= TWENTY_MB * 0.95]
    if big_gost:
        row = min(big_gost, key=lambda r: r["crl"])
        share = row["seconds"] / timeout
        lines.append(f"Goal: a 20 MB GOST-signed CRL refreshed in ≤ {GOAL_TIMEOUT_SHARE:.0%} of the refresher's "
                     f"{timeout:.0f} s timeout — {verdict(share <= GOAL_TIMEOUT_SHARE)} ({row['crl'] / 1e6:.1f} MB "
                     f"in {row['seconds']:.0f} s, {share:.0%} of it; {row['floor'] / row['seconds']:.0%} of that is "
                     "Streebog over the bytes).")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
