"""The benchmark scripts still run (tiny sizes, no timing asserted: figures live in BENCHMARKS.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_script(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,  # noqa: S603
                          check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def require_dynalite() -> None:
    if not (ROOT / "node_modules" / ".bin" / "dynalite").exists():
        pytest.fail("dynalite is not installed: run `make test` (it runs `npm ci`)")


def test_verify_benchmark_runs(tmp_path):
    out = tmp_path / "verify.md"
    run_script("bench/verify.py", "--ballots", "4", "--gost-runs", "1", "--markdown", str(out))
    text = out.read_text()
    assert "| RSA-2048" in text and "| ECDSA P-256" in text and "| shape |" in text
    assert "Goal: RSA-2048 (PKCS#1 v1.5, SHA-256) ≤ 2× floor" in text and "Goal: ECDSA P-256" in text
    assert "Goal: GOST 34.10-2015/512, one signature with a cold key ≤ 3 ms" in text or "GOST rows skipped" in text


def test_hostile_input_benchmark_runs(tmp_path):
    out = tmp_path / "hostile.md"
    run_script("bench/hostile.py", "--requests", "1", "--markdown", str(out))
    text = out.read_text()
    assert "| ordinary vote (new citizen, RSA-2048) | 201 |" in text and "citizen key RSA-16384" in text
    assert "Goal: every hostile request ≤ 3 ordinary vote requests of CPU" in text


def test_coldstart_benchmark_runs(tmp_path):
    out = tmp_path / "cold.md"
    run_script("bench/coldstart.py", "--runs", "1", "--no-vote", "--powertools-runs", "1", "--markdown", str(out))
    text = out.read_text()
    assert "import app" in text and "Goal:" in text and "| package | ms | modules |" in text
    assert "| Logger + Metrics + Tracer |" in text  # what each part of Powertools adds


@pytest.mark.integration
def test_first_vote_benchmark_runs(tmp_path):
    require_dynalite()
    out = tmp_path / "cold.md"
    run_script("bench/coldstart.py", "--runs", "1", "--vote-runs", "1", "--powertools-runs", "1",
               "--markdown", str(out))
    text = out.read_text()
    assert "| first vote, Tracer on |" in text
    assert "| first vote |" in text and "Goal: the first vote of a fresh process ≤ 1.3× its floor" in text


@pytest.mark.integration
def test_vote_path_benchmark_runs(tmp_path):
    require_dynalite()
    out = tmp_path / "vote.md"
    run_script("bench/vote_path.py", "--votes", "10", "--runs", "1", "--concurrency", "2", "--markdown", str(out))
    assert "Goal: ≥ 0.6× the floor" in out.read_text()


def test_seal_benchmark_runs(tmp_path):
    out = tmp_path / "seal.md"
    run_script("bench/seal.py", "--votes", "3", "--runs", "1", "--markdown", str(out))
    text = out.read_text()
    assert "| RSA-2048 |" in text and "| ECDSA P-256 |" in text
    assert "Goal: sealing ≤ 10% of a vote" in text


def test_revocation_benchmark_runs(tmp_path):
    out = tmp_path / "revocation.md"
    run_script("bench/revocation.py", "--sizes", "300", "--no-twenty-mb", "--lookups", "100", "--runs", "1",
               "--data-dir", str(tmp_path / "crls"), "--markdown", str(out))
    text = out.read_text()
    assert "| RSA 300 |" in text and "| GOST 300 |" in text
    assert "Goal: at 300 entries, vote-side load ≤ 0.3 s" in text and "memory ≤ 1.5× the index" in text


@pytest.mark.integration
def test_tally_benchmark_runs(tmp_path):
    require_dynalite()
    out = tmp_path / "tally.md"
    data = tmp_path / "data"
    args = ["bench/tally_scan.py", "--votes", "200", "--checkpoints", "50", "--runs", "1", "--cms-bytes", "64",
            "--data-dir", str(data)]
    run_script(*args, "--markdown", str(out))
    text = out.read_text()
    assert "| 50 |" in text and "| 200 |" in text and "memory flat" in text
    again = run_script(*args, "--load-only")  # the kept tables are reused, not loaded twice
    assert "reusing 200 votes" in again.stdout


@pytest.mark.integration
def test_load_tool_against_a_local_stack(tmp_path):
    require_dynalite()
    from devtools.stack import LocalStack, free_port

    stack = LocalStack(tmp_path / "stack", api_port=free_port(), dynamodb_port=free_port(),
                       ncalayer_port=free_port(), quiet=True)
    with stack:
        result = tmp_path / "load.json"
        done = run_script("bench/load.py", stack.api, "--pki", str(stack.pki_dir), "--voters", "12",
                          "--concurrency", "3", "--retry-share", "0.25", "--conflict-share", "0.25", "--seed", "7",
                          "--json", str(result), "--strict")
    figures = json.loads(result.read_text())
    assert figures["accepted"] == 12 and figures["receipts_checked"] == 12
    assert figures["inconsistencies"] == [] and figures["unexpected"] == 0
    assert figures["requests"] > 12  # the retries and conflicting ballots were sent too
    assert "inconsistencies: 0" in done.stdout


def test_load_tool_refuses_a_folder_that_is_not_a_pki(tmp_path):
    done = subprocess.run([sys.executable, "bench/load.py", "http://127.0.0.1:9", "--pki", str(tmp_path)],  # noqa: S603
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0 and "is not a development PKI" in done.stderr


def test_load_tool_stops_at_a_target_that_is_not_healthy(tmp_path):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Unhealthy(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"error": "unavailable", "status": "unavailable",
                               "checks": {"settings": "ok", "tables": "failed"}}).encode()
            self.send_response(503 if self.path == "/health" else 200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    (tmp_path / "ca").mkdir()
    (tmp_path / "ca" / "nca-key.pem").write_text("")  # what the tool checks before reaching the target
    server = ThreadingHTTPServer(("127.0.0.1", 0), Unhealthy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        done = subprocess.run([sys.executable, "bench/load.py", f"http://127.0.0.1:{server.server_port}",  # noqa: S603
                               "--pki", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=60,
                              check=False)
    finally:
        server.shutdown()
    assert done.returncode != 0
    assert "GET /health answered 503: not ready to vote (tables failed)" in done.stderr


def test_gost_benchmark_runs():
    printed = run_script("bench/gost.py", "--runs", "2", "--peer-runs", "1").stdout
    for row in ("| GOST 34.10-2015/512, Streebog-512 |", "| GOST 34.310-2004, GOST 34.311-95 |",
                "| Streebog-512 (gostcrypto) |", "Goal (GOST-2015/512, cold key): ≤ 10 ms"):
        assert row in printed
