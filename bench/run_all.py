#!/usr/bin/env python3
"""`make bench`: run every benchmark script and write BENCHMARKS.md.

    .venv/bin/python bench/run_all.py [--out BENCHMARKS.md] [--votes 1000000] [--quick]
        [--only verify,hostile,gost,coldstart,vote_path,seal,tally,revocation,load] [--assemble]

Each script also runs alone (see its --help) and writes its own Markdown section; this collects
the sections (kept in .local/bench-sections, so `--only` re-runs some and keeps the others) under
one header (machine, date, how it was run) with a summary of every goal and bench/notes.md. The
tally's votes are kept in .local/bench-tally and reused by the next run (loading 1,000,000 votes
into dynalite is most of the first run's time). The load test runs bench/load.py against a local
stack (dynalite + API) started in a temporary folder on free ports.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import machine  # noqa: E402

SECTIONS = ["verify", "hostile", "gost", "coldstart", "vote_path", "seal", "tally", "revocation", "load"]


def commands(args: argparse.Namespace, out: Path) -> dict[str, list[str]]:
    py = sys.executable
    quick = args.quick
    return {
        "verify": [py, "bench/verify.py", *(["--ballots", "20", "--gost-runs", "2"] if quick else [])],
        "hostile": [py, "bench/hostile.py", *(["--requests", "3"] if quick else [])],
        "gost": [py, "bench/gost.py", *(["--runs", "2", "--peer-runs", "1"] if quick else [])],
        "coldstart": [py, "bench/coldstart.py", "--runs", "2" if quick else str(args.cold_runs)],
        "vote_path": [py, "bench/vote_path.py", *(["--votes", "30", "--runs", "1"] if quick else [])],
        "seal": [py, "bench/seal.py", *(["--votes", "20", "--runs", "1"] if quick else [])],
        "tally": [py, "bench/tally_scan.py", "--votes", str(args.votes),
                  *(["--checkpoints", str(max(1, args.votes // 10)), "--runs", "1"] if quick else
                    ["--data-dir", str(ROOT / ".local" / "bench-tally")])],
        "revocation": [py, "bench/revocation.py",
                       *(["--sizes", "1000,10000", "--no-twenty-mb", "--lookups", "2000", "--runs", "2",
                          "--data-dir", str(ROOT / ".local" / "bench-revocation-quick")] if quick else [])],
        "load": [py, "bench/load.py", "URL", "--voters", "20" if quick else str(args.load_voters),
                 "--concurrency", "4" if quick else "16"],
    }


def run_load(command: list[str], markdown: Path) -> int:
    """bench/load.py against a local stack of its own (temporary folder, free ports)."""
    from devtools.stack import LocalStack, free_port

    with tempfile.TemporaryDirectory(prefix="bench-stack-") as folder:
        stack = LocalStack(Path(folder), api_port=free_port(), dynamodb_port=free_port(),
                           ncalayer_port=free_port(), quiet=True)
        with stack:
            command = [stack.api if part == "URL" else part for part in command]
            command += ["--pki", str(stack.pki_dir), "--markdown", str(markdown)]
            return subprocess.run(command, cwd=ROOT, check=False).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--votes", type=int, default=1_000_000, help="votes for the tally benchmark")
    parser.add_argument("--cold-runs", type=int, default=15)
    parser.add_argument("--load-voters", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that everything runs")
    parser.add_argument("--only", help="comma-separated sections: " + ",".join(SECTIONS))
    parser.add_argument("--assemble", action="store_true",
                        help="run nothing: rewrite the output from the kept sections and bench/notes.md")
    args = parser.parse_args()
    chosen = SECTIONS if not args.only else [s for s in args.only.split(",") if s]
    if args.assemble:
        chosen = []
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")

    started = time.perf_counter()
    header_machine = machine()
    failures: list[str] = []
    timings: list[str] = []
    kept = ROOT / ".local" / "bench-sections"  # each section's last output, for --only
    with tempfile.TemporaryDirectory(prefix="bench-md-") as scratch:
        folder = Path(scratch) if args.quick else kept
        folder.mkdir(parents=True, exist_ok=True)
        for name in chosen:
            markdown = folder / f"{name}.md"
            markdown.unlink(missing_ok=True)
            command = commands(args, args.out)[name]
            print(f"\n=== {name}: {' '.join(Path(c).name if c == sys.executable else c for c in command)}",
                  flush=True)
            began = time.perf_counter()
            if name == "load":
                code = run_load(command, markdown)
            else:
                code = subprocess.run([*command, "--markdown", str(markdown)], cwd=ROOT, check=False).returncode
            timings.append(f"{name} {time.perf_counter() - began:.0f} s")
            if code != 0 or not markdown.is_file():
                failures.append(name)
                folder.mkdir(parents=True, exist_ok=True)  # `make clean-local` may have run meanwhile
                markdown.write_text(f"## {name}\n\nThe script failed (exit status {code}).\n", encoding="utf-8")
        shown = [name for name in SECTIONS if (folder / f"{name}.md").is_file()]
        reused = [name for name in shown if name not in chosen]
        parts = [(folder / f"{name}.md").read_text(encoding="utf-8") for name in shown]

    goals = [f"{name}: {line.removeprefix('Goal: ').removeprefix('Goal ')}"
             for name, part in zip(shown, parts, strict=True) for line in part.splitlines()
             if line.startswith("Goal")]
    text = ["# Benchmarks", ""]
    header = kept / "header.txt"  # the last full run's line, kept for --only and --assemble
    if timings:
        line = (f"Written by `make bench` (`bench/run_all.py{' --quick' if args.quick else ''}`) on "
                f"{header_machine}. Total time {time.perf_counter() - started:.0f} s ({'; '.join(timings)}).")
        if set(chosen) == set(SECTIONS) and not args.quick:
            header.write_text(line, encoding="utf-8")
        text.append(line)
    else:
        last = header.read_text(encoding="utf-8") if header.is_file() else "No full run recorded."
        text.append(f"{last} Reassembled with `bench/run_all.py --assemble` (the notes may be newer).")
        reused = []
    if reused:
        text.append(f"Sections from an earlier run: {', '.join(reused)} (each carries its own date).")
    text.append("")
    text.append("Every figure is a median over several runs, next to its floor or peer measured in the same run "
                "on the same machine; the ratio is what carries over to other machines. The machine is shared "
                "(see the load average): absolute figures are noisy, the ratios much less so.")
    text.append("")
    text.append("## Goals")
    text.append("")
    text += [f"- {line}" for line in goals]
    if failures:
        text.append(f"- Failed sections: {', '.join(failures)}.")
    text.append("")
    notes = ROOT / "bench" / "notes.md"  # the reasons behind missed goals, written by people
    if notes.is_file() and not args.quick:
        text.append(notes.read_text(encoding="utf-8").rstrip() + "\n")
    args.out.write_text("\n".join(text) + "\n" + "\n".join(parts), encoding="utf-8")
    print(f"\nwrote {args.out}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
