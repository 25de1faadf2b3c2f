#!/usr/bin/env python3
"""Benchmark of the cold start: a fresh `python -c "import app"` against the floor
`python -c "import boto3, pynamodb.models, cryptography.x509"` (what any such service imports).

    .venv/bin/python bench/coldstart.py [--runs 15] [--markdown PATH]

Each run is a new interpreter (bytecode caches warm, as in a reused Lambda image); the two
commands alternate, and `python -c pass` is timed too (the interpreter alone). The median wall
times give the ratio (goal <= 1.2x). Then `python -X importtime` says what `import app` loads
beyond the floor, summed per package, so a miss names its cause.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import machine, median, verdict, write_section  # noqa: E402

GOAL = 1.2
COMMANDS = {
    "app": "import app",
    "floor": "import boto3, pynamodb.models, cryptography.x509",
    "interpreter": "pass",
    # What the public routes (vote, contests, receipts) need: their blueprint without the admin
    # and schedule blueprints, whose services load with their first request anyway.
    "public": "import chalice, chalicelib.routes.public",
}


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return env


def wall_time(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def import_times(code: str) -> dict[str, tuple[int, int]]:
    """module -> (self µs, cumulative µs) from `python -X importtime`."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=ROOT, env=environment(),
                          check=True, capture_output=True, text=True)
    out: dict[str, tuple[int, int]] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        fields = line.split(":", 1)[1].split("|")
        if len(fields) == 3:
            out[fields[2].strip()] = (int(fields[0]), int(fields[1]))
    return out


def group(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "chalicelib" and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def beyond_floor() -> list[tuple[str, float, int]]:
    """(package, ms of self time, modules) that `import app` loads and the floor does not."""
    app, floor = import_times(COMMANDS["app"]), import_times(COMMANDS["floor"])
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for module, (own, _) in app.items():
        if module in floor:
            continue
        entry = totals[group(module)]
        entry[0] += own / 1000
        entry[1] += 1
    return sorted(((name, ms, int(n)) for name, (ms, n) in totals.items()), key=lambda r: -r[1])


def chains() -> list[str]:
    """The chalicelib modules `import app` loads, with their cumulative import time."""
    app = import_times(COMMANDS["app"])
    rows = sorted(((m, c) for m, (_, c) in app.items() if m.startswith("chalicelib") or m == "app"),
                  key=lambda r: -r[1])
    return [f"{m} {c / 1000:.0f} ms" for m, c in rows[:8]]


def report(medians: dict[str, float], runs: int, extra: list[tuple[str, float, int]], heavy: list[str]) -> str:
    ratio = medians["app"] / medians["floor"]
    lines = ["## Cold start (`import app`)", "", f"Machine: {machine()}.", ""]
    lines.append(f"Wall time of a new interpreter running the import, median of {runs} alternating runs each.")
    lines.append("")
    lines.append("| command | median ms | ratio to floor |")
    lines.append("|---|---|---|")
    lines.append(f"| `python -c \"{COMMANDS['app']}\"` | {medians['app'] * 1e3:.0f} | {ratio:.2f}× "
                 f"(goal ≤ {GOAL}×: {verdict(ratio <= GOAL)}) |")
    lines.append(f"| floor `python -c \"{COMMANDS['floor']}\"` | {medians['floor'] * 1e3:.0f} | 1.00× |")
    lines.append(f"| interpreter alone `python -c \"pass\"` | {medians['interpreter'] * 1e3:.0f} | "
                 f"{medians['interpreter'] / medians['floor']:.2f}× |")
    lines.append(f"| what the public routes need `python -c \"{COMMANDS['public']}\"` | "
                 f"{medians['public'] * 1e3:.0f} | {medians['public'] / medians['floor']:.2f}× |")
    lines.append("")
    lines.append(f"Goal: `import app` ≤ {GOAL}× the floor — {verdict(ratio <= GOAL)} ({ratio:.2f}×; "
                 f"{(medians['app'] - medians['floor']) * 1e3:.0f} ms above the floor).")
    lines.append("")
    lines.append("What `import app` loads beyond the floor (`-X importtime`, self time summed per package, one run):")
    lines.append("")
    lines.append("| package | ms | modules |")
    lines.append("|---|---|---|")
    for name, ms, count in extra[:12]:
        lines.append(f"| {name} | {ms:.1f} | {count} |")
    lines.append("")
    lines.append("Largest cumulative imports under `app`: " + "; ".join(heavy) + ".")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    print(f"# {machine()}", flush=True)
    for code in COMMANDS.values():
        wall_time(code)  # compile and cache bytecode before timing
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for run in range(args.runs):
        order = list(COMMANDS) if run % 2 == 0 else list(reversed(COMMANDS))
        for name in order:
            samples[name].append(wall_time(COMMANDS[name]))
    medians = {name: median(values) for name, values in samples.items()}
    write_section(args.markdown, report(medians, args.runs, beyond_floor(), chains()))


if __name__ == "__main__":
    main()
