#!/usr/bin/env python3
"""Benchmark of hostile input: the CPU one refused request costs, next to an ordinary vote.

    .venv/bin/python bench/hostile.py [--requests 20] [--markdown PATH]

The app (every route, the adapters, the verifier) runs in this process through chalice.test on
the in-memory store, with an NCA-shaped trust: a root and an issuing CA with RSA-4096 keys,
citizens with RSA-2048 keys. Every request is prepared before timing and sent once (a rotating
pool: no cache is warmed by an attack's own repeats); the cases alternate request by request.
Time = this thread's CPU time (`time.thread_time`) of the request, median over `--requests`.
The ordinary request is a new citizen's valid vote (201). Goal: every hostile request costs at
most 3 ordinary vote requests of CPU.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from bench.common import contest_document, machine, median, verdict, write_section  # noqa: E402
from devtools import devpki  # noqa: E402

GOAL = 3.0
CONTEST = "bench-hostile"
SECRET = secrets.token_urlsafe(48)
NOW = datetime.now(UTC)
START = NOW - timedelta(days=30)


@dataclass
class Case:
    name: str
    path: str  # the route it is sent to
    expected: tuple[int, str]  # status and error code ("" for the ordinary vote)
    make: Callable[[int], bytes]  # request body number i


def body(cms: bytes, content: bytes | None = None) -> bytes:
    document = {"cms": base64.b64encode(cms).decode()}
    if content is not None:
        document["content"] = base64.b64encode(content).decode()
    return json.dumps(document).encode()


def ballot(challenge: str) -> bytes:
    from chalicelib.voting.ballot import ballot_bytes

    return ballot_bytes(CONTEST, "n0-000", challenge)


def key_with(bits: int, exponent: int) -> rsa.RSAPublicKey:
    """An RSA public key of any size and exponent, without generating a private key (an attacker
    needs none: the certificate it claims a key for need not verify)."""
    modulus = secrets.randbits(bits) | (1 << (bits - 1)) | 1
    return rsa.RSAPublicNumbers(exponent, modulus).public_key()


def certificate_for(public: rsa.RSAPublicKey, subject: x509.Name, issuer: devpki.Issued, ca: bool,
                    issuer_name: x509.Name | None = None) -> devpki.Issued:
    """A certificate for `public` signed by `issuer` (under `issuer_name`, by default the
    issuer's), with the issuer's key standing in as its "private key" so that devpki can sign a
    CMS with it (that signature then does not verify: an attack's need not)."""
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer_name or issuer.certificate.subject)
               .public_key(public).serial_number(x509.random_serial_number())
               .not_valid_before(START).not_valid_after(NOW + timedelta(days=300))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    from cryptography.hazmat.primitives import hashes

    return devpki.Issued(builder.sign(issuer.key, hashes.SHA256()), issuer.key)


class Setup:
    def __init__(self) -> None:
        print("# making an NCA-shaped PKI (RSA-4096 CAs)...", flush=True)
        self.root = devpki.issue_ca("BENCH ROOT (RSA)", key=rsa.generate_private_key(65537, 4096), not_before=START)
        self.nca = devpki.issue_ca("BENCH NCA (RSA)", issuer=self.root, key=rsa.generate_private_key(65537, 4096),
                                   not_before=START, path_length=0)
        self.attacker = devpki.issue_ca("ATTACKER", not_before=START)  # signs what the attacks need signed
        self.serial = 0

    def citizen(self, issuer: devpki.Issued | None = None, **options: object) -> devpki.Issued:
        self.serial += 1
        options.setdefault("not_before", START)
        return devpki.issue_person(issuer or self.nca, f"{700000000000 + self.serial}", **options)


def cases(setup: Setup, challenge: Callable[[], str], count: int) -> list[Case]:
    from chalicelib.verify.policy import NCA

    nca_name, root_name = setup.nca.certificate.subject, setup.root.certificate.subject
    shared_3072 = key_with(3072, (1 << 3070) | secrets.randbits(3069) | 1)  # a 3071-bit exponent

    def ordinary(_: int) -> bytes:
        return body(devpki.sign_cms(ballot(challenge()), setup.citizen(), chain=(setup.nca,)))

    def self_issued_pool(name: x509.Name, key: Callable[[], rsa.RSAPublicKey] | None,
                         ec: bool = False) -> Callable[[int], bytes]:
        def make(_: int) -> bytes:
            # Nine self-issued "CAs" of one key, named like a CA the service trusts, a new pool
            # every request (a rotating pool defeats any cache of links).
            rogue_key = devpki.new_key("ec256") if ec else None
            shared = key() if key is not None else None
            pool = []
            for _n in range(9):
                if rogue_key is not None:
                    pool.append(devpki.issue_ca("x", name=name, key=rogue_key, not_before=START))
                else:
                    assert shared is not None
                    pool.append(certificate_for(shared, name, setup.attacker, ca=True, issuer_name=name))
            if rogue_key is not None:
                voter = setup.citizen(pool[0])
            else:  # a citizen's certificate naming the pool's name as its issuer
                voter = certificate_for(key_with(2048, 65537), setup.citizen().certificate.subject, setup.attacker,
                                        ca=False, issuer_name=name)
            return body(devpki.sign_cms(ballot(challenge()), voter, chain=tuple(pool)))
        return make

    def huge_key(bits: int, exponent: int) -> Callable[[int], bytes]:
        def make(_: int) -> bytes:
            stand_in = certificate_for(key_with(bits, exponent), setup.citizen().certificate.subject, setup.nca,
                                       ca=False)
            return body(devpki.sign_cms(ballot(challenge()), stand_in, chain=(setup.nca,)))
        return make

    def big_gost_content(_: int) -> bytes:
        content = secrets.token_bytes(44 * 1024)
        return body(_gost_digest(devpki.sign_cms(content, setup.citizen(), chain=(setup.nca,))))

    def impostor_cas(_: int) -> bytes:
        # The most the policy lets through: certificates named like the issuing CA and issued
        # in the root's name, in profile (RSA-4096), each a candidate whose link must be checked.
        impostors = tuple(certificate_for(key_with(4096, 65537), nca_name, setup.attacker, ca=True,
                                          issuer_name=root_name)
                          for _n in range(NCA.max_certificates - 1))
        return body(devpki.sign_cms(ballot(challenge()), setup.citizen(), chain=impostors))

    def deep_nesting(_: int) -> bytes:
        return body(b"\x30\x80" * 10000 + b"\x00\x00" * 10000)

    def many_certificates(_: int) -> bytes:
        voter = setup.citizen()
        return body(devpki.sign_cms(ballot(challenge()), voter, chain=(setup.nca,) * 11))

    untrusted = (422, "untrusted_certificate")
    made = [
        Case("ordinary vote (new citizen, RSA-2048)", "votes", (201, ""), ordinary),
        Case("9 self-issued CAs sharing an RSA-3072 key with a 3071-bit exponent, named like the root", "votes",
             untrusted, self_issued_pool(root_name, lambda: shared_3072)),
        Case("the same 9, named like the issuing CA", "votes", untrusted,
             self_issued_pool(nca_name, lambda: shared_3072)),
        Case("9 self-issued P-256 CAs named like the root (in profile: each a candidate)", "votes", untrusted,
             self_issued_pool(root_name, None, ec=True)),
        Case("citizen key RSA-16384", "votes", (422, "invalid_signature"), huge_key(16384, 65537)),
        Case("citizen key RSA-3072 with a 3071-bit exponent", "votes", (422, "invalid_signature"),
             huge_key(3072, (1 << 3070) | 1)),
        Case("9 in-profile impostors of the issuing CA (RSA-4096)", "votes", untrusted, impostor_cas),
        Case("44 KiB content naming a GOST digest", "votes", (400, "malformed_request"), big_gost_content),
        Case("10,000 nested indefinite lengths", "votes", (400, "malformed_request"), deep_nesting),
        Case("12 certificates", "votes", (400, "malformed_request"), many_certificates),
        Case("admin sign-in: 9 self-issued CAs with the 3071-bit exponent", "admin", (422, "untrusted_certificate"),
             self_issued_pool(root_name, lambda: shared_3072)),
    ]
    print(f"# preparing {count} requests for each of {len(made)} cases...", flush=True)
    return made


def _gost_digest(cms: bytes) -> bytes:
    """The CMS with its digest algorithms renamed Streebog-512 (the pure-Python hash the attack
    wants the server to run over the whole content)."""
    from asn1crypto import cms as asn1_cms

    info = asn1_cms.ContentInfo.load(cms)
    signed = info["content"]
    signed["digest_algorithms"] = [{"algorithm": "1.2.398.3.10.1.3.3"}]
    signed["signer_infos"][0]["digest_algorithm"] = {"algorithm": "1.2.398.3.10.1.3.3"}
    return info.dump(force=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="requests per case")
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    print(f"# {machine()}", flush=True)

    from chalice.test import Client

    import app as application
    from chalicelib import runtime
    from chalicelib.adapters.memory import MemoryStore
    from chalicelib.runtime import Runtime
    from chalicelib.settings import Settings
    from chalicelib.verify.certificate import Certificate
    from chalicelib.verify.signature import SignatureVerifier
    from chalicelib.verify.trust import TrustStore
    from chalicelib.voting import challenge as challenges
    from chalicelib.voting.contest import parse_contest
    from chalicelib.voting.keys import Keys
    from chalicelib.voting.seal import Sealer

    setup = Setup()
    keys = Keys(SECRET)
    settings = Settings(table_prefix="bench-", secret=SECRET, contest_cache_seconds=60,
                        ncalayer_url="ws://127.0.0.1:13579", admin_iins=("700000000001",))
    verifier = SignatureVerifier(TrustStore([Certificate(setup.root.der)]),
                                 devpki.current_revocation(setup.root, setup.nca))
    sealer = Sealer(rsa.generate_private_key(public_exponent=65537, key_size=3072).public_key())
    installed = Runtime(settings, store=MemoryStore(), keys=keys, verifier=verifier, sealer=sealer)
    runtime.install(installed)
    installed.commission.save_contest(parse_contest(contest_document(CONTEST, NOW - timedelta(hours=1),
                                                                     NOW + timedelta(days=1))))

    def challenge() -> str:
        return challenges.issue(keys.challenge, challenges.VOTE, CONTEST, datetime.now(UTC)).token

    chosen = cases(setup, challenge, args.requests)
    bodies = {case.name: [case.make(i) for i in range(args.requests + 1)] for case in chosen}
    seconds: dict[str, list[float]] = {case.name: [] for case in chosen}
    clock = time.thread_time
    quiet = open(os.devnull, "w")  # noqa: SIM115 - the log lines are written (their cost counts), not shown
    with Client(application.app, project_dir=str(ROOT)) as client, contextlib.redirect_stdout(quiet):
        def send(case: Case, data: bytes) -> tuple[int, str]:
            path = f"/contests/{CONTEST}/votes" if case.path == "votes" else "/admin/sessions"
            response = client.http.post(path, body=data, headers={"Content-Type": "application/json"})
            answer = json.loads(response.body)
            return response.status_code, answer.get("error", "")

        for case in chosen:  # warm: imports, the CA links, the contest cache
            send(case, bodies[case.name][-1])
        for i in range(args.requests):
            for case in chosen:
                start = clock()
                outcome = send(case, bodies[case.name][i])
                seconds[case.name].append(clock() - start)
                if outcome != case.expected:
                    raise SystemExit(f"{case.name}: expected {case.expected}, got {outcome}")
    runtime.install(None)
    write_section(args.markdown, report(chosen, seconds, args.requests))


def report(chosen: list[Case], seconds: dict[str, list[float]], requests: int) -> str:
    ordinary = median(seconds[chosen[0].name])
    lines = ["## Hostile input: CPU per refused request", "", f"Machine: {machine()}.", ""]
    lines.append(f"Each request through the whole app in one process (chalice.test, the in-memory store), prepared "
                 f"beforehand and sent once, the cases alternating; CPU time of the request (`time.thread_time`), "
                 f"median of {requests}. NCA-shaped trust: RSA-4096 root and issuing CA, RSA-2048 citizens. "
                 "Ratio = the case's CPU / an ordinary vote's (goal ≤ 3).")
    lines.append("")
    lines.append("| request | answer | CPU ms (median) | ratio to an ordinary vote |")
    lines.append("|---|---|---|---|")
    worst = 0.0
    for case in chosen:
        cpu = median(seconds[case.name])
        ratio = cpu / ordinary
        if case is not chosen[0]:
            worst = max(worst, ratio)
        answer = f"{case.expected[0]} {case.expected[1]}".strip()
        lines.append(f"| {case.name} | {answer} | {cpu * 1000:.2f} | {ratio:.2f}× |")
    lines.append("")
    lines.append(f"Goal: every hostile request ≤ {GOAL:.0f} ordinary vote requests of CPU — {verdict(worst <= GOAL)} "
                 f"(the worst {worst:.2f}×).")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
