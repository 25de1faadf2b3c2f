#!/usr/bin/env python3
"""Load test of a running service (local or a deployed stage): N citizens with pre-signed
ballots, C concurrent connections; then every accepted vote is checked through its receipt.

    .venv/bin/python bench/load.py URL [--pki .local/pki] [--voters 500] [--concurrency 16]
        [--contest ID] [--retry-share 0.05] [--conflict-share 0.02] [--markdown PATH] [--json PATH]

URL is the API root (`http://127.0.0.1:8000` for `make run`, the stage's EndpointURL in AWS).
`--pki` is a development PKI folder (`manage.py dev-pki DIR`, devtools/localpki.py layout): its
issuing CA makes a throw-away citizen per voter, so the target must trust that CA (its
`VOTING_TRUST_DIR` holds DIR/trust/*.pem; never on a production stage).

First `GET /health` must answer 200 (every part a vote needs is there), else it stops saying
which part failed. Before timing: one challenge per `--ballots-per-challenge` voters, a random nominee per voter,
every ballot signed (attached CMS, as NCALayer makes it). A share of voters sends the same ballot
twice (a retry: one 201 and one 200 with the same receipt) and another share two ballots for
different nominees (one 201 and one 409). Timed: all POSTs, shuffled, over C keep-alive
connections. Reported: accepted/s, latency p50/p95/p99, answers by status and error code.
Afterwards: GET /receipts/{r} for every 201 (retrying 404s for a while: the receipt index is
eventually consistent in DynamoDB) must exist and name the voted contest and nominee, and no
citizen may hold two receipts or two 201s. Exit status 1 on any such inconsistency, 2 with
`--strict` when an answer was neither 201, 200 nor the expected 409, else 0.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import random
import secrets
import sys
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import machine, percentile, write_section  # noqa: E402


@dataclass
class Post:
    iin: str
    nominee: str
    body: bytes
    kind: str  # "vote", "retry" (the same ballot again) or "conflict" (another nominee)


@dataclass
class Answer:
    post: Post
    status: int
    code: str  # the error code, "" for 200/201, or "connection_error"
    receipt: str | None
    seconds: float


@dataclass
class Outcome:
    answers: list[Answer]
    wall: float
    inconsistencies: list[str] = field(default_factory=list)
    receipts_checked: int = 0


class Api:
    """Keep-alive HTTP(S) connections to the API root, one per thread."""

    def __init__(self, url: str, timeout: float) -> None:
        parsed = urllib.parse.urlsplit(url.rstrip("/"))
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise SystemExit(f"not an http(s) URL: {url}")
        self.https = parsed.scheme == "https"
        self.host, self.port = parsed.hostname, parsed.port
        self.base = parsed.path
        self.timeout = timeout
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            connection = kind(self.host, self.port, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request(method, self.base + path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                break
            except (OSError, http.client.HTTPException):
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise
                # A kept-alive connection the server closed: send again on a new one. Safe for
                # votes too: the same ballot again is answered 200 with the same receipt.
        try:
            document = json.loads(data) if data else {}
        except ValueError:
            document = {"error": "not_json"}
        return response.status, document if isinstance(document, dict) else {}


def check_health(api: Api) -> None:
    """The target must say every part a vote needs is there (`GET /health`) before any ballot is signed."""
    status, answer = api.call("GET", "/health")
    if status != 200:
        failed = [part for part, state in (answer.get("checks") or {}).items() if state != "ok"]
        raise SystemExit(f"GET /health answered {status}: not ready to vote"
                         + (f" ({', '.join(failed)} failed)" if failed else ""))


def pick_contest(api: Api, wanted: str | None) -> tuple[str, list[str]]:
    if wanted is None:
        status, listing = api.call("GET", "/contests")
        if status != 200:
            raise SystemExit(f"GET /contests answered {status}")
        open_now = [c["id"] for c in listing.get("contests", []) if c.get("status") == "open"]
        if not open_now:
            raise SystemExit("no contest is open now: pass --contest or open one")
        wanted = open_now[0]
    status, details = api.call("GET", f"/contests/{urllib.parse.quote(wanted)}")
    if status != 200:
        raise SystemExit(f"GET /contests/{wanted} answered {status}: {details}")
    nominees = [n["id"] for m in details.get("nominations", []) for n in m.get("nominees", [])]
    if not nominees:
        raise SystemExit(f"contest {wanted} has no nominees")
    return wanted, nominees


def prepare(api: Api, pki_dir: Path, contest: str, nominees: list[str], args: argparse.Namespace) -> list[Post]:
    """Citizens, challenges and signed ballots, before any timing."""
    from chalicelib.voting.ballot import ballot_bytes
    from devtools import devpki
    from devtools.localpki import load_dev_pki

    pki = load_dev_pki(pki_dir)
    rng = random.Random(args.seed)
    run_prefix = f"{secrets.randbelow(90) + 10}"  # IINs unlikely to meet an earlier run's
    challenges: list[str] = []
    needed = -(-args.voters // args.ballots_per_challenge)
    path = f"/contests/{urllib.parse.quote(contest)}/challenges"
    for _ in range(needed):
        status, answer = api.call("POST", path, b"{}")
        if status != 201:
            raise SystemExit(f"POST {path} answered {status}: {answer}")
        challenges.append(answer["challenge"])

    def body(cms: bytes) -> bytes:
        return json.dumps({"cms": base64.b64encode(cms).decode()}).encode()

    posts: list[Post] = []
    for n in range(args.voters):
        iin = f"{run_prefix}{secrets.randbelow(10**10):010d}"
        voter = pki.new_voter(iin, key_kind=args.key)
        nominee = rng.choice(nominees)
        token = challenges[n // args.ballots_per_challenge]
        signed = body(devpki.sign_cms(ballot_bytes(contest, nominee, token), voter))
        posts.append(Post(iin, nominee, signed, "vote"))
        draw = rng.random()
        if draw < args.retry_share:
            posts.append(Post(iin, nominee, signed, "retry"))
        elif draw < args.retry_share + args.conflict_share and len(nominees) > 1:
            other = rng.choice([x for x in nominees if x != nominee])
            posts.append(Post(iin, other, body(devpki.sign_cms(ballot_bytes(contest, other, token), voter)),
                              "conflict"))
        if (n + 1) % 500 == 0:
            print(f"  signed {n + 1:,} / {args.voters:,} ballots", flush=True)
    rng.shuffle(posts)
    return posts


def fire(api: Api, contest: str, posts: list[Post], concurrency: int) -> tuple[list[Answer], float]:
    path = f"/contests/{urllib.parse.quote(contest)}/votes"

    def send(post: Post) -> Answer:
        start = time.perf_counter()
        try:
            status, answer = api.call("POST", path, post.body)
        except (OSError, http.client.HTTPException):
            return Answer(post, 0, "connection_error", None, time.perf_counter() - start)
        elapsed = time.perf_counter() - start
        return Answer(post, status, str(answer.get("error", "")), answer.get("receipt"), elapsed)

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        answers = list(pool.map(send, posts))
    return answers, time.perf_counter() - start


def check(api: Api, contest: str, answers: list[Answer], concurrency: int, settle_seconds: float) -> Outcome:
    """Every 201 readable through its receipt with the right nominee; one vote per citizen."""
    problems: list[str] = []
    by_iin: dict[str, list[Answer]] = defaultdict(list)
    for answer in answers:
        by_iin[answer.post.iin].append(answer)
    accepted: list[Answer] = []
    for iin, mine in by_iin.items():
        created = [a for a in mine if a.status == 201]
        receipts = {a.receipt for a in mine if a.status in (200, 201)}
        if len(created) > 1:
            problems.append(f"IIN {iin}: {len(created)} answers 201")
        if len(receipts) > 1:
            problems.append(f"IIN {iin}: {len(receipts)} different receipts")
        nominees_ok = {a.post.nominee for a in mine if a.status in (200, 201)}
        if len(nominees_ok) > 1:
            problems.append(f"IIN {iin}: ballots for {len(nominees_ok)} nominees were both accepted")
        if any(a.status in (200, 201) and not a.receipt for a in mine):
            problems.append(f"IIN {iin}: an accepted vote without a receipt")
        if not created and any(a.status == 200 for a in mine):
            problems.append(f"IIN {iin}: 200 (already stored) without a 201 in this run")
        accepted += created

    deadline = time.monotonic() + settle_seconds

    def lookup(answer: Answer) -> str | None:
        path = f"/receipts/{urllib.parse.quote(answer.receipt or '')}"
        while True:
            try:
                status, found = api.call("GET", path)
            except (OSError, http.client.HTTPException) as error:
                status, found = 0, {"error": type(error).__name__}
            if status == 200:
                if found.get("contest") != contest or found.get("nominee") != answer.post.nominee:
                    return (f"receipt {answer.receipt}: stored {found.get('contest')}/{found.get('nominee')}, "
                            f"voted {contest}/{answer.post.nominee}")
                return None
            if status in (404, 503, 0) and time.monotonic() < deadline:
                time.sleep(0.5)  # the receipt index may lag the write (eventual consistency)
                continue
            return f"receipt {answer.receipt} of a 201: GET answered {status} {found.get('error', '')}"

    with ThreadPoolExecutor(concurrency) as pool:
        problems += [p for p in pool.map(lookup, accepted) if p]
    return Outcome(answers, 0.0, problems, len(accepted))


def expected(answer: Answer) -> bool:
    if answer.status in (200, 201):
        return True
    return answer.status == 409 and answer.code == "already_voted" and answer.post.kind in ("conflict", "vote")


def summary(outcome: Outcome, args: argparse.Namespace, contest: str) -> dict:
    answers = outcome.answers
    latencies = [a.seconds for a in answers]
    by_code = Counter(f"{a.status} {a.code}".strip() for a in answers)
    created = sum(1 for a in answers if a.status == 201)
    return {
        "url": args.url, "contest": contest, "voters": args.voters, "requests": len(answers),
        "concurrency": args.concurrency, "seconds": outcome.wall,
        "accepted": created, "accepted_per_second": created / outcome.wall if outcome.wall else 0.0,
        "requests_per_second": len(answers) / outcome.wall if outcome.wall else 0.0,
        "latency_ms": {p: percentile(latencies, p) * 1e3 for p in (50, 95, 99)} if latencies else {},
        "answers": dict(sorted(by_code.items())),
        "unexpected": sum(1 for a in answers if not expected(a)),
        "receipts_checked": outcome.receipts_checked,
        "inconsistencies": outcome.inconsistencies,
    }


def markdown(result: dict) -> str:
    lat = result["latency_ms"]
    lines = ["## Load test through HTTP (`bench/load.py`)", "", f"Machine: {machine()}.", ""]
    lines.append(f"Target {result['url']}, contest `{result['contest']}`: {result['voters']:,} citizens, "
                 f"{result['requests']:,} POSTs (retries and conflicting second ballots included), "
                 f"{result['concurrency']} concurrent connections.")
    lines.append("")
    lines.append("| accepted/s | requests/s | p50 ms | p95 ms | p99 ms | answers | receipts checked "
                 "| inconsistencies |")
    lines.append("|---|---|---|---|---|---|---|---|")
    answers = ", ".join(f"{k}: {v}" for k, v in result["answers"].items())
    lines.append(f"| {result['accepted_per_second']:,.1f} | {result['requests_per_second']:,.1f} | "
                 f"{lat.get(50, 0):.0f} | {lat.get(95, 0):.0f} | {lat.get(99, 0):.0f} | {answers} | "
                 f"{result['receipts_checked']:,} | {len(result['inconsistencies'])} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="API root, e.g. http://127.0.0.1:8000")
    parser.add_argument("--pki", type=Path, default=ROOT / ".local" / "pki", help="development PKI folder")
    parser.add_argument("--voters", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--contest", help="contest id (default: the first open one)")
    parser.add_argument("--ballots-per-challenge", type=int, default=25)
    parser.add_argument("--retry-share", type=float, default=0.05, help="voters who send their ballot twice")
    parser.add_argument("--conflict-share", type=float, default=0.02,
                        help="voters who also sign a ballot for another nominee")
    parser.add_argument("--key", choices=["ec256", "rsa"], default="ec256", help="the citizens' key type")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--settle", type=float, default=30.0, help="seconds a receipt may take to appear")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--strict", action="store_true", help="exit 2 on any unexpected answer (e.g. 503)")
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    if args.voters < 1 or args.concurrency < 1 or args.ballots_per_challenge < 1:
        parser.error("--voters, --concurrency and --ballots-per-challenge must be positive")

    if not (args.pki / "ca" / "nca-key.pem").is_file():
        raise SystemExit(f"{args.pki} is not a development PKI (manage.py dev-pki DIR makes one)")
    api = Api(args.url, args.timeout)
    try:
        check_health(api)
        contest, nominees = pick_contest(api, args.contest)
    except (OSError, http.client.HTTPException) as error:
        raise SystemExit(f"cannot reach {args.url}: {error}") from None
    print(f"# {machine()}", flush=True)
    print(f"# contest {contest} ({len(nominees)} nominees); signing {args.voters:,} ballots...", flush=True)
    posts = prepare(api, args.pki, contest, nominees, args)
    print(f"# posting {len(posts):,} ballots over {args.concurrency} connections...", flush=True)
    answers, wall = fire(api, contest, posts, args.concurrency)
    print("# checking receipts...", flush=True)
    outcome = check(api, contest, answers, args.concurrency, args.settle)
    outcome.wall = wall
    result = summary(outcome, args, contest)
    lat = result["latency_ms"]
    print(f"accepted {result['accepted']:,} in {wall:.1f} s = {result['accepted_per_second']:,.1f}/s; "
          f"{result['requests_per_second']:,.1f} requests/s; latency p50 {lat.get(50, 0):.0f} ms, "
          f"p95 {lat.get(95, 0):.0f} ms, p99 {lat.get(99, 0):.0f} ms")
    print("answers: " + ", ".join(f"{k} x{v}" for k, v in result["answers"].items()))
    print(f"receipts checked: {result['receipts_checked']:,}; inconsistencies: {len(outcome.inconsistencies)}")
    for problem in outcome.inconsistencies[:20]:
        print(f"  INCONSISTENT: {problem}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    if args.markdown:
        write_section(args.markdown, markdown(result))
    if outcome.inconsistencies:
        return 1
    if args.strict and result["unexpected"]:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
