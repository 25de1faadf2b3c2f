"""What every benchmark script shares: the machine line, medians and percentiles, a goal verdict,
a local DynamoDB server, and the Markdown section each script can write (`--markdown PATH`).

Scripts import this as `bench.common` after putting the repository root on `sys.path` (as
bench/gost.py does), so each one still runs alone: `.venv/bin/python bench/<name>.py`.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import platform
import resource
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def ram_gib() -> float:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3


def machine() -> str:
    now = datetime.datetime.now(datetime.UTC)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{cpu_model()}, {os.cpu_count()} cores, {ram_gib():.0f} GiB RAM; {platform.platform()}; "
            f"Python {platform.python_version()}; {now:%Y-%m-%d %H:%M} UTC; load average {load}")


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("median of nothing")
    return (ordered[(n - 1) // 2] + ordered[n // 2]) / 2


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of nothing")
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[min(len(ordered), int(rank)) - 1]


def verdict(met: bool) -> str:
    return "met" if met else "**MISSED**"


def peak_rss_mib() -> float:
    """This process's peak resident set (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_section(path: Path | None, text: str) -> None:
    print(text)
    if path is not None:
        path.write_text(text, encoding="utf-8")


@contextlib.contextmanager
def local_dynamodb(data_dir: Path | None = None) -> Iterator[str]:
    """dynalite on a free port with its data in `data_dir` (a temporary folder by default);
    yields the endpoint URL and stops the server afterwards."""
    from devtools.stack import free_port, start_dynalite, stop

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with contextlib.ExitStack() as stack:
        folder = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-dynalite-")))
        port = free_port()
        process = start_dynalite(port, folder)
        stack.callback(stop, process)
        yield f"http://127.0.0.1:{port}"


def boto3_client(endpoint: str, pool: int = 64):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",  # noqa: S106 - the local server wants any
        config=Config(max_pool_connections=pool, retries={"max_attempts": 10, "mode": "standard"}),
    )


def contest_document(contest_id: str, opens: datetime.datetime, closes: datetime.datetime,
                     nominations: int = 7, per_nomination: int = 10) -> dict:
    """A contest file shaped like the ministry's (seven nominations), for the benchmarks."""
    title = {"kk": "Бенчмарк", "ru": "Бенчмарк", "en": "Benchmark"}
    return {
        "id": contest_id, "title": title,
        "opens_at": opens.isoformat(), "closes_at": closes.isoformat(), "results_visibility": "public",
        "nominations": [
            {"id": f"n{m}", "title": title,
             "nominees": [{"id": f"n{m}-{k:03d}", "name": f"Nominee {m}-{k}", "region": "Astana",
                           "organization": "Bench"} for k in range(per_nomination)]}
            for m in range(nominations)
        ],
    }
