"""Traces (adapters/tracing.py): Powertools' Tracer only where VOTING_TRACING=on, and then real X-Ray
documents; elsewhere nothing of the X-Ray SDK is loaded. Each case runs in a fresh interpreter:
the Tracer patches botocore for the whole process."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

from tests.conftest import ROOT

RUN_A_SUBSEGMENT = """
import sys
from chalicelib.adapters import tracing
with tracing.subsegment("close_contests") as annotate:
    annotate("decision", "ok")
print("xray loaded" if "aws_xray_sdk" in sys.modules else "xray not loaded")
"""
TRACE_HEADER = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1"


def run(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", RUN_A_SUBSEGMENT], cwd=ROOT, capture_output=True, text=True,  # noqa: S603
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env}, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1]


def test_without_tracing_the_x_ray_sdk_is_never_loaded():
    assert run({}) == "xray not loaded"


def test_with_tracing_on_in_lambda_each_run_is_an_annotated_subsegment_sent_to_the_daemon():
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(30)
    address = f"127.0.0.1:{daemon.getsockname()[1]}"
    try:
        assert run({"VOTING_TRACING": "on", "AWS_LAMBDA_FUNCTION_NAME": "test-close-contests",
                    "LAMBDA_TASK_ROOT": str(ROOT), "_X_AMZN_TRACE_ID": TRACE_HEADER,
                    "AWS_XRAY_DAEMON_ADDRESS": address}) == "xray loaded"
        header, _, body = daemon.recv(65536).decode().partition("\n")
    finally:
        daemon.close()
    document = json.loads(body)
    assert json.loads(header) == {"format": "json", "version": 1}
    assert (document["name"], document["annotations"]) == ("## close_contests", {"decision": "ok"})
    assert document["trace_id"] == "1-67891233-abcdef012345678912345678"
