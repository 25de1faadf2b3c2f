#!/usr/bin/env python3
"""Benchmark of the cold start: a fresh `python -c "import app"` against the floor
`python -c "import boto3, pynamodb.models, cryptography.x509"` (what any such service imports),
and the first vote of a fresh process against the floor of a fresh process that does one write.

    .venv/bin/python bench/coldstart.py [--runs 15] [--vote-runs 9] [--no-vote] [--markdown PATH]

First vote (on dynalite, started on a free port): a new interpreter imports `app`, and Chalice's
handler answers one API Gateway event `POST /contests/{id}/votes` as Lambda would call it: the
middleware (Powertools' Logger with the Lambda context, the request's log line, its metrics as one
EMF line), the runtime from the environment (settings, the trust folder, the store, the keys), and
one new citizen's ballot (CMS, path, revocation, profile, ballot, challenge, ONE conditional
PutItem). The same again with the Tracer on (`VOTING_TRACING=on` in a Lambda-like environment:
the X-Ray SDK imported and botocore patched), which the template gives the scheduled functions
only. The floor is a new interpreter that imports boto3, pynamodb.models and cryptography.x509
and does one conditional PutItem of an item of the same shape and size (the sealed evidence's)
with boto3. Wall time of the whole process, alternating, medians (goal ≤ 1.3×).

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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import machine, median, verdict, write_section  # noqa: E402

GOAL = 1.2
GOAL_FIRST_VOTE = 1.3
VOTE_CODE = """
import os, sys, uuid
import app
contest = os.environ["BENCH_CONTEST"]
resource = "/contests/{contest_id}/votes"
event = {"resource": resource, "path": f"/contests/{contest}/votes", "httpMethod": "POST",
         "headers": {"content-type": "application/json"}, "multiValueQueryStringParameters": None,
         "pathParameters": {"contest_id": contest}, "stageVariables": None, "isBase64Encoded": False,
         "requestContext": {"resourcePath": resource, "httpMethod": "POST", "requestId": str(uuid.uuid4()),
                            "stage": "api", "identity": {"sourceIp": "203.0.113.7"}},
         "body": open(sys.argv[1]).read()}
class Context:
    function_name = "bench-api"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-central-1:000000000000:function:bench-api"
    aws_request_id = str(uuid.uuid4())
    def get_remaining_time_in_millis(self):
        return 10000
answer = app.app(event, Context())
assert answer["statusCode"] == 201, answer
"""
# What Lambda sets that the Tracer looks for (an invocation's trace header: sampled), so that it
# imports the X-Ray SDK and patches botocore as in AWS. Its segments go by UDP to a daemon that
# nobody runs here: sent and lost, as cheap as in AWS.
TRACED = {"VOTING_TRACING": "on", "AWS_LAMBDA_FUNCTION_NAME": "bench-api", "LAMBDA_TASK_ROOT": str(ROOT),
          "_X_AMZN_TRACE_ID": "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1",
          "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000", "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR"}
FLOOR_CODE = """
import os, sys
import boto3, pynamodb.models, cryptography.x509
client = boto3.client("dynamodb", endpoint_url=os.environ["VOTING_DYNAMODB_ENDPOINT"])
item = {"pk": {"S": "raw#" + sys.argv[1]}, "contest": {"S": "raw"}, "voter": {"S": sys.argv[1]},
        "receipt": {"S": "RAW-" + sys.argv[1][:20]}, "nominee": {"S": "n0-000"}, "nomination": {"S": "n0"},
        "cast_at": {"S": "2026-01-01T00:00:00.000000Z"}, "algorithm": {"S": "RSA/SHA-256"},
        "evidence": {"B": b"x" * int(sys.argv[2])}}
client.put_item(TableName=os.environ["VOTING_TABLE_PREFIX"] + "votes", Item=item,
                ConditionExpression="attribute_not_exists(pk)")
"""
COMMANDS = {
    "app": "import app",
    "floor": "import boto3, pynamodb.models, cryptography.x509",
    "interpreter": "pass",
    # What the public routes (vote, contests, receipts) need: their blueprint without the admin
    # and schedule blueprints, whose services load with their first request anyway.
    "public": "import chalice, chalicelib.routes.public",
}


# What each part of Powertools adds to a cold start, on top of what the service imports anyway.
POWERTOOLS_BASE = "import boto3, pynamodb.models, cryptography.x509, chalice"
POWERTOOLS = {
    "base": POWERTOOLS_BASE,
    "Logger": POWERTOOLS_BASE + "; from aws_lambda_powertools import Logger; Logger(service='voting')",
    "Logger + Metrics": POWERTOOLS_BASE + "; from aws_lambda_powertools import Logger, Metrics; "
                        "from aws_lambda_powertools.logging import correlation_paths; Logger(service='voting'); "
                        "Metrics(namespace='Voting')",
    "Logger + Metrics + Tracer": POWERTOOLS_BASE + "; from aws_lambda_powertools import Logger, Metrics, Tracer; "
                                 "Logger(service='voting'); Metrics(namespace='Voting'); Tracer(service='voting')",
}


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return env


def wall_time(code: str, extra: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**environment(), **(extra or {})}, check=True,
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


def first_vote(runs: int) -> dict[str, float]:
    """Median wall seconds of a fresh process's first vote and of the floor's one write."""
    import base64
    import json
    import secrets
    import tempfile
    import uuid
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from bench.common import contest_document, local_dynamodb
    from chalicelib.adapters.dynamodb import DynamoStore
    from chalicelib.voting import challenge
    from chalicelib.voting.ballot import ballot_bytes
    from chalicelib.voting.contest import parse_contest
    from chalicelib.voting.keys import Keys
    from devtools import devpki

    secret = secrets.token_urlsafe(48)
    keys = Keys(secret)
    commission = rsa.generate_private_key(public_exponent=65537, key_size=3072).public_key()
    commission_pem = commission.public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    now = datetime.now(UTC)
    start = now - timedelta(days=1)
    root = devpki.issue_ca("BENCH ROOT (RSA)", not_before=start)
    nca = devpki.issue_ca("BENCH NCA (RSA)", issuer=root, not_before=start, path_length=0)
    with tempfile.TemporaryDirectory(prefix="bench-first-vote-") as scratch, local_dynamodb() as endpoint:
        folder = Path(scratch)
        (folder / "trust").mkdir()
        (folder / "trust" / "root.pem").write_bytes(root.pem)
        write_crl_index(folder, secret, root, nca, now)
        prefix = f"cold{uuid.uuid4().hex[:6]}-"
        store = DynamoStore(prefix, endpoint, "us-east-1")
        store.create_tables()
        contest = "bench-first-vote"
        document = contest_document(contest, now - timedelta(hours=1), now + timedelta(days=1))
        store.create_contest(parse_contest(document), now - timedelta(days=1))
        env = {**environment(), "VOTING_DYNAMODB_ENDPOINT": endpoint, "VOTING_TABLE_PREFIX": prefix,
               "VOTING_SECRET": secret, "VOTING_TRUST_DIR": str(folder / "trust"), "BENCH_CONTEST": contest,
               "VOTING_CRL_INDEX_DIR": str(folder / "crl-index"),
               "VOTING_EVIDENCE_KEY": commission_pem,
               "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
        ballots = []
        for n in range(2 * runs + 2):
            voter = devpki.issue_person(nca, f"{600000000000 + n}", not_before=start)
            token = challenge.issue(keys.challenge, challenge.VOTE, contest, now).token
            cms = devpki.sign_cms(ballot_bytes(contest, "n0-000", token), voter, chain=(nca,))
            path = folder / f"ballot-{n}.json"
            path.write_text(json.dumps({"cms": base64.b64encode(cms).decode()}))
            ballots.append((path, len(cms) + 436))  # the sealed evidence: the CMS, its wrapped key, nonce and tag

        def timed(code: str, *argv: str, traced: bool = False) -> float:
            began = time.perf_counter()
            subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, env={**env, **TRACED} if traced else env,
                           check=True, stdout=subprocess.DEVNULL)
            return time.perf_counter() - began

        timed(VOTE_CODE, str(ballots[-1][0]))  # bytecode caches, as in a reused image
        timed(VOTE_CODE, str(ballots[-2][0]), traced=True)
        timed(FLOOR_CODE, "warm", str(ballots[-1][1]))
        samples: dict[str, list[float]] = {"vote": [], "traced": [], "floor": []}
        for n in range(runs):
            trio = [("vote", VOTE_CODE, str(ballots[2 * n][0])), ("traced", VOTE_CODE, str(ballots[2 * n + 1][0])),
                    ("floor", FLOOR_CODE, uuid.uuid4().hex)]
            for name, code, argument in trio if n % 2 == 0 else reversed(trio):
                extra = (str(ballots[n][1]),) if name == "floor" else ()
                samples[name].append(timed(code, argument, *extra, traced=name == "traced"))
    return {name: median(values) for name, values in samples.items()}


def write_crl_index(folder: Path, secret: str, root: Any, nca: Any, now: Any) -> None:
    """Both CAs' CRLs refreshed into the index folder the vote reads (as the local stack does)."""
    from datetime import timedelta

    from chalicelib.adapters.pki_folders import IndexFolder
    from chalicelib.verify.certificate import Certificate
    from chalicelib.verify.crl_refresh import refresh
    from chalicelib.verify.trust import TrustStore
    from chalicelib.voting.keys import Keys
    from devtools import devpki

    crls = {f"{n}.crl": devpki.issue_crl(ca, {}, this_update=now - timedelta(hours=1),
                                         next_update=now + timedelta(days=7)) for n, ca in enumerate((root, nca))}
    trust = TrustStore([Certificate(root.der), Certificate(nca.der)])
    report = refresh(list(crls), crls.__getitem__, trust, IndexFolder(folder / "crl-index"), Keys(secret).crl_index,
                     now)
    assert len(report.written) == 2, report


def first_vote_report(medians: dict[str, float], runs: int) -> str:
    ratio = medians["vote"] / medians["floor"]
    return "\n".join([
        "", "### The first vote of a fresh process", "",
        f"dynalite on this machine; wall time of the whole process, median of {runs} alternating runs each. "
        "First vote = `import app`, then Chalice's handler answering one API Gateway event `POST …/votes` as "
        "Lambda calls it: the telemetry middleware (Powertools' Logger with the Lambda context, the request's "
        "log line, its EMF metrics line), the runtime from the environment (settings, trust folder, store, keys), "
        "one new citizen's RSA-2048 ballot and its one conditional PutItem. Tracer on = the same with "
        "`VOTING_TRACING=on` in a Lambda-like environment (the X-Ray SDK imported, botocore patched). Floor = "
        "`import boto3, pynamodb.models, cryptography.x509` and one conditional PutItem of an item of the same "
        "shape with boto3.", "",
        "| process | median ms | ratio to floor |",
        "|---|---|---|",
        f"| first vote | {medians['vote'] * 1e3:.0f} | {ratio:.2f}× |",
        f"| first vote, Tracer on | {medians['traced'] * 1e3:.0f} | {medians['traced'] / medians['floor']:.2f}× |",
        f"| floor: imports + one PutItem | {medians['floor'] * 1e3:.0f} | 1.00× |",
        "",
        f"Goal: the first vote of a fresh process ≤ {GOAL_FIRST_VOTE}× its floor — "
        f"{verdict(ratio <= GOAL_FIRST_VOTE)} ({ratio:.2f}×; {(medians['vote'] - medians['floor']) * 1e3:.0f} ms "
        "above the floor).",
    ]) + "\n"


def powertools_share(runs: int) -> str:
    """Wall time of each Powertools combination over the base, alternating; the Tracer's row in a
    Lambda-like environment (TRACED), where it imports the X-Ray SDK and patches botocore."""
    def extra(name: str) -> dict[str, str] | None:
        return TRACED if "Tracer" in name else None

    for name, code in POWERTOOLS.items():
        wall_time(code, extra(name))
    samples: dict[str, list[float]] = {name: [] for name in POWERTOOLS}
    for run in range(runs):
        for name in list(POWERTOOLS) if run % 2 == 0 else list(reversed(POWERTOOLS)):
            samples[name].append(wall_time(POWERTOOLS[name], extra(name)))
    medians = {name: median(values) for name, values in samples.items()}
    lines = ["", "### What Powertools adds to a cold start", "",
             f"Wall time of a new interpreter, median of {runs} alternating runs each; base = `{POWERTOOLS_BASE}` "
             "(what the service imports anyway).", "",
             "| imports and builds | median ms | above the base |", "|---|---|---|"]
    for name, value in medians.items():
        lines.append(f"| {name} | {value * 1e3:.0f} | {(value - medians['base']) * 1e3:+.0f} ms |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--vote-runs", type=int, default=9, help="runs of the first-vote measurement")
    parser.add_argument("--no-vote", action="store_true", help="skip the first vote (it needs dynalite)")
    parser.add_argument("--powertools-runs", type=int, default=15, help="runs of each Powertools combination")
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
    text = report(medians, args.runs, beyond_floor(), chains())
    text += powertools_share(args.powertools_runs)
    if not args.no_vote:
        text += first_vote_report(first_vote(args.vote_runs), args.vote_runs)
    write_section(args.markdown, text)


if __name__ == "__main__":
    main()
