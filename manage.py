"""Operator CLI: `.venv/bin/python manage.py [--stage dev|prod] [--endpoint URL] COMMAND ...` with the
service's own configuration: the stage's settings from .chalice/config.json — `dev`, the local stack
of `make run`, unless `--stage prod` (or VOTING_STAGE=prod) says AWS — with the shell's over them.
Every command that reaches the tables first says which (`target: ...`, on stderr).

Commands: create-tables, load-contest FILE [--nominees CSV], close ID [--wait], results ID [--csv|--json],
evidence ID FILE [--open], audit FILE [--results JSON] [--clock-tolerance MINUTES], evidence-key DIR | --kms KEY,
refresh-crls [--check], crl-urls CERTIFICATE..., dev-pki DIR, serve.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib.runtime import Runtime
from chalicelib.settings import ConfigurationError, Settings
from chalicelib.voting.clock import astana_text
from chalicelib.voting.contest import ContestError, parse_contest
from chalicelib.voting.languages import DEFAULT_LANGUAGE, LANGUAGES, in_language
from chalicelib.voting.records import STATE_TALLIED, ConcurrentUpdate, StorageUnavailable
from chalicelib.voting.rejection import Rejection
from chalicelib.voting.seal import KeyUnavailable
from devtools.stages import STAGES, Target, UnknownStage

if TYPE_CHECKING:
    from chalicelib.voting.ports import CommissionKey

REFUSALS = (Rejection, StorageUnavailable, ConcurrentUpdate, ConfigurationError, KeyUnavailable)


def _runtime(args: argparse.Namespace, say_target: bool = True, tables: bool = True) -> Runtime:
    """The runtime of the chosen target; `target: ...` on stderr first, so no command leaves a
    doubt where it went. `tables`: the command reaches them (so AWS needs the stack's prefix)."""
    target: Target = args.target
    if say_target:
        print(f"target: {target.describe()}", file=sys.stderr)
        missing = target.missing_setting() if tables else None
        if missing:
            raise ConfigurationError(missing)
    return Runtime(Settings.from_environment(target.environment))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _refused(error: Exception, args: argparse.Namespace, changed: str = "") -> int:
    target: Target = args.target
    if isinstance(error, (ConfigurationError, KeyUnavailable)):
        print(f"error: {error}", file=sys.stderr)
        return 2
    if isinstance(error, Rejection):
        print(f"error: {error.code}: {error.message('en')} {error.detail}".rstrip(), file=sys.stderr)
        return 2
    if isinstance(error, ConcurrentUpdate):
        print(f"error: the contest was changed by someone else meanwhile at {target.describe()}; run again"
              f"{changed}", file=sys.stderr)
        return 3
    print(f"error: {target.describe()} did not answer ({error}): {target.unreachable_hint()}{changed}",
          file=sys.stderr)
    return 3


def create_tables(args: argparse.Namespace) -> int:
    from chalicelib.adapters.dynamodb import DynamoStore, OutdatedTable

    try:
        store = _runtime(args).store
        assert isinstance(store, DynamoStore)
        created = store.create_tables()
    except OutdatedTable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except REFUSALS as error:
        return _refused(error, args)
    print("created: " + ", ".join(created) if created else "tables already exist")
    return 0


def load_contest(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as error:
        print(f"error: cannot read {path}: {error.strerror}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"error: {path} is not JSON: {error}", file=sys.stderr)
        return 2
    if args.nominees:
        from chalicelib.voting.finalists import FinalistsError, with_finalists

        sheet = Path(args.nominees)
        try:
            document = with_finalists(document, sheet.read_bytes())
        except OSError as error:
            print(f"error: cannot read {sheet}: {error.strerror}", file=sys.stderr)
            return 2
        except FinalistsError as error:
            for problem in error.problems:
                print(f"error: {sheet}: {problem}", file=sys.stderr)
            print(f"error: {len(error.problems)} bad row(s); nothing was loaded", file=sys.stderr)
            return 2
        except ContestError as error:
            print(f"error: {path}: {error} (nothing was changed)", file=sys.stderr)
            return 2
    try:
        contest = parse_contest(document)
        outcome, _ = _runtime(args).commission.save_contest(contest)
    except ContestError as error:
        print(f"error: {path}: {error} (nothing was changed)", file=sys.stderr)
        return 2
    except (ConfigurationError, ConcurrentUpdate, StorageUnavailable) as error:
        return _refused(error, args, "; nothing was changed")
    nominees = sum(len(n.nominees) for n in contest.nominations)
    print(f"{outcome}: {contest.id} ({_count(nominees, 'nominee')}, {_count(len(contest.nominations), 'nomination')})"
          f" at {args.target.describe()}")
    return 0


def close(args: argparse.Namespace) -> int:
    """End voting now (if still open) and tally once the grace has passed (--wait: wait for it)."""
    from chalicelib.voting.closing import describe

    try:
        closer = _runtime(args).closer
        stored = closer.close_early(args.id)
        while stored.state != STATE_TALLIED:
            due = closer.tally_due_at(stored)
            now = closer.clock()
            if now >= due:
                closer.finish(stored)
            elif args.wait:
                print(f"{args.id}: closed; waiting {int((due - now).total_seconds()) + 1} s for the grace to pass "
                      f"(the tally runs from {astana_text(due)})", file=sys.stderr)
                time.sleep(min((due - now).total_seconds() + 0.5, 60))
            else:
                break
            stored = closer.store.get_contest(args.id) or stored
    except REFUSALS as error:
        return _refused(error, args)
    print(describe(stored, closer))
    return 0


def results(args: argparse.Namespace) -> int:
    from chalicelib.voting.clock import parse_iso_utc
    from chalicelib.voting.results import COMMA, SEMICOLON, results_document

    try:
        commission = _runtime(args).commission
        if args.csv:
            _, data = commission.admin_results_csv(args.id, args.lang, SEMICOLON if args.semicolon else COMMA)
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return 0
        stored, result, status = commission.admin_result(args.id)
    except REFUSALS as error:
        return _refused(error, args)
    document = results_document(stored.contest, result, status)
    if args.json:
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return 0
    ends = "voting ends" if stored.status(commission.clock()) == "open" else "voting ended"
    counted = "counted" if status == "final" else "counted so far at"
    print(f"{document['contest']} — {status}, {_count(document['total'], 'vote')}, "
          f"{ends} {astana_text(parse_iso_utc(document['closes_at']))}, "
          f"{counted} {astana_text(parse_iso_utc(document['tallied_at']))}")
    print(f"digest (SHA-256 of sorted 'receipt,nominee' lines): {document['digest']}")
    ids = max((len(n["id"]) for nomination in document["nominations"] for n in nomination["nominees"]), default=2)
    votes = max((len(str(n["votes"])) for nomination in document["nominations"] for n in nomination["nominees"]),
                default=1)
    for nomination in document["nominations"]:
        title = in_language(nomination["title"], args.lang)
        print(f"\n{title} ({_count(nomination['total'], 'vote')})")
        for nominee in nomination["nominees"]:
            print(f"  {nominee['votes']:>{votes}}  {nominee['id']:<{ids}}  {nominee['name']}")
    return 0


def _commission_key(wired: Runtime) -> CommissionKey:
    """The commission's key of the configuration; a key file's passphrase is asked when needed."""
    from chalicelib.adapters.evidence_keys import key_file_is_encrypted, read_key_file

    s = wired.settings
    if s.evidence_key_file and not s.evidence_key_passphrase and key_file_is_encrypted(s.evidence_key_file) \
            and sys.stdin.isatty():
        return read_key_file(s.evidence_key_file, getpass.getpass(f"passphrase of {s.evidence_key_file}: "))
    return wired.commission_key


def evidence(args: argparse.Namespace) -> int:
    """The counted votes' evidence: sealed as stored, or (--open) opened with the commission's key."""
    from chalicelib.voting.evidence import evidence_line, opened, sealed_line
    from chalicelib.voting.seal import SealError

    count, unopened = 0, []
    # Written beside FILE and moved over it only once complete: a storage error halfway through
    # the scan never leaves a file that looks like the whole evidence.
    partial = f"{args.file}.partial"
    try:
        wired = _runtime(args)
        votes = wired.commission.sealed_votes(args.id)
        key = _commission_key(wired) if args.open else None
        # An opened file names every voter next to their choice: readable by its owner only.
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if key else 0o644)
        if key is not None:
            os.fchmod(descriptor, 0o600)
        with open(descriptor, "w", encoding="utf-8", newline="") as out:
            for vote in votes:
                try:
                    out.write(sealed_line(vote) if key is None else evidence_line(opened(vote, key)))
                    count += 1
                except SealError as error:
                    unopened.append(f"receipt {vote.receipt}: {error}")
        os.replace(partial, args.file)
    except REFUSALS as error:
        return _refused(error, args)
    except OSError as error:
        print(f"error: cannot write {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    finally:  # whatever stopped it (Ctrl-C too): an opened partial file holds ballots in the clear
        Path(partial).unlink(missing_ok=True)
    for line in unopened[:50]:
        print(f"error: {line}", file=sys.stderr)
    print(f"{count} counted votes written to {args.file}" + (" (opened: keep this file with the commission)"
                                                             if args.open else " (sealed)"))
    if unopened:
        print(f"error: {len(unopened)} record(s) did not open and are not in the file", file=sys.stderr)
        return 1
    return 0


def audit(args: argparse.Namespace) -> int:
    """Open, re-verify and recount a sealed evidence file offline; non-zero exit on any problem."""
    from chalicelib.voting.audit import audit as run_audit

    path = Path(args.file)
    try:
        wired = _runtime(args, say_target=False)  # offline: the file, the trust folder and the key
        key = _commission_key(wired)
        verifier = wired.verifier
        published = json.loads(Path(args.results).read_text(encoding="utf-8-sig")) if args.results else None
        total = sum(1 for _ in path.open(encoding="utf-8"))
    except (OSError, ValueError, ConfigurationError, KeyUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    workers = args.workers or (16 if wired.settings.evidence_kms_key else 1)  # KMS calls wait on the network
    bar = _ProgressBar(total, sys.stderr.isatty())
    try:
        with path.open(encoding="utf-8") as lines:
            report = run_audit(lines, verifier, key, published, bar.update, workers,
                               timedelta(minutes=args.clock_tolerance))
    except KeyUnavailable as error:
        bar.done()
        print(f"error: {error}", file=sys.stderr)
        return 2
    bar.done()
    print(report.render())
    if report.other_keys and sum(report.other_keys.values()) == report.lines:
        print(f"error: the key given ({report.key_id.hex()}) does not open this evidence: it is sealed to commission "
              f"key {report.other_keys.most_common(1)[0][0].hex()}", file=sys.stderr)
    return 0 if report.ok else 1


def evidence_key(args: argparse.Namespace) -> int:
    """A new commission key pair in DIR, or the public key of a KMS key: what VOTING_EVIDENCE_KEY is set to."""
    from chalicelib.adapters.evidence_keys import PRIVATE_FILE, KmsCommissionKey, public_pem, write_key_pair

    try:
        if args.kms:
            kms = KmsCommissionKey(args.kms, Settings.from_environment(args.target.environment).region)
            key_id, public_key = kms.key_id, kms.public_key
            where = f"KMS key {args.kms} (its private half never leaves KMS)"
        else:
            written = write_key_pair(Path(args.dir), _new_passphrase(args.no_passphrase))
            key_id, public_key = written.key_id, written.public_key
            where = f"private key {Path(args.dir) / PRIVATE_FILE} (keep it offline, with the commission)"
    except (ConfigurationError, KeyUnavailable, FileExistsError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"commission key {key_id.hex()}: {where}")
    print("set VOTING_EVIDENCE_KEY of the stage to this public key:")
    print(public_pem(public_key).rstrip())
    return 0


def _new_passphrase(none: bool) -> str | None:
    if none:
        return None
    given = os.environ.get("VOTING_EVIDENCE_KEY_PASSPHRASE")
    if given:
        return given
    if not sys.stdin.isatty():
        raise ValueError("no passphrase: type one (run in a terminal), set VOTING_EVIDENCE_KEY_PASSPHRASE, "
                         "or pass --no-passphrase (development only)")
    first = getpass.getpass("passphrase for the new private key: ")
    if len(first) < 12 or getpass.getpass("the same passphrase again: ") != first:
        raise ValueError("the passphrase must be at least 12 characters, typed the same twice")
    return first


class _ProgressBar:
    """A bar redrawn in place on a terminal; elsewhere (a log, a pipe) one line every tenth."""

    def __init__(self, total: int, terminal: bool, width: int = 40) -> None:
        self.total, self.terminal, self.width, self.shown = max(total, 1), terminal, width, -1

    def update(self, done: int) -> None:
        percent = done * 100 // self.total
        step = percent if self.terminal else percent // 10 * 10
        if step == self.shown:
            return
        self.shown = step
        if self.terminal:
            filled = self.width * done // self.total
            print(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {percent:3d}% {done}/{self.total}",
                  end="", file=sys.stderr, flush=True)
        else:
            print(f"audit: {step}% ({done}/{self.total} records)", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.terminal:
            print(file=sys.stderr)


def refresh_crls(args: argparse.Namespace) -> int:
    """The CRL refresher by hand: VOTING_CRL_URLS into the CRL bucket (AWS), or VOTING_CRL_DIR into
    VOTING_CRL_INDEX_DIR (locally); with --check, download and verify only, writing nothing."""
    from chalicelib.verify.crl_refresh import MemoryIndexes

    try:
        report = _runtime(args, tables=False).refresh_crls(MemoryIndexes() if args.check else None)
    except REFUSALS as error:
        return _refused(error, args)
    for source in report.read:
        print(f"verified   {source}" + ("  (past its own nextUpdate)" if source in report.stale_sources else ""))
    for source in report.unchanged:
        print(f"unchanged  {source}")
    for source in report.older:
        print(f"older      {source}  (older than the index holds: not used)")
    for source, reason, why in report.failed:
        print(f"refused    {source}  ({why})" if reason != "unreachable" else f"unreachable {source}  ({why})")
    for written in report.written:
        delta = f", delta CRL {written.delta_number} (+{written.delta_entries})" if written.delta_number else ""
        print(f"{'would index' if args.check else 'indexed'}  {written.issuer}: {written.base_entries} revoked, "
              f"CRL {written.crl_number}{delta}, next update {written.next_update:%Y-%m-%d %H:%M} UTC")
    for issuer, why in report.index_problems:
        print(f"problem    {issuer}: {why}")
    return 1 if report.failed or report.index_problems else 0


def crl_urls(args: argparse.Namespace) -> int:
    """The CRL Distribution Points and Freshest CRL URLs certificates name: where their CA publishes
    its base and delta CRLs (give a citizen's certificate of each CA: its CA's CRLs are named there)."""
    from chalicelib.verify.certificate import Certificate, CertificateError

    found: list[str] = []
    for name in args.certificates:
        try:
            certificates = Certificate.from_pem_or_der(Path(name).read_bytes())
        except (OSError, CertificateError) as error:
            print(f"error: {name}: {error}", file=sys.stderr)
            return 2
        for certificate in certificates:
            print(f"{name}: {certificate.subject_text} (issued by {certificate.issuer_text})")
            for label, urls in (("base CRL", certificate.crl_urls), ("delta CRL", certificate.delta_crl_urls)):
                for url in urls:
                    print(f"  {label:<9} {url}")
                    found.append(url)
    if found:
        print("VOTING_CRL_URLS=" + ",".join(dict.fromkeys(u for u in found if u.startswith(("http://", "https://")))))
    return 0


def dev_pki(args: argparse.Namespace) -> int:
    from devtools.localpki import write_dev_pki

    for line in write_dev_pki(Path(args.dir)):
        print(line)
    return 0


def serve(_: argparse.Namespace) -> int:
    from devtools.stack import serve as serve_stack

    return serve_stack()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="manage.py", description="Operate the voting service.")
    parser.add_argument("--stage", choices=STAGES,
                        help="dev: the local stack of `make run` (the default); prod: AWS (also VOTING_STAGE)")
    parser.add_argument("--endpoint", metavar="URL", help="a DynamoDB endpoint, over the stage's")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("create-tables", help="create the DynamoDB tables if missing").set_defaults(run=create_tables)
    loader = commands.add_parser("load-contest", help="create or update a contest from a JSON file")
    loader.add_argument("file")
    loader.add_argument("--nominees", metavar="NOMINEES.csv", help="finalists from a spreadsheet (CSV)")
    loader.set_defaults(run=load_contest)
    closer = commands.add_parser("close", help="end voting now and tally once the grace has passed")
    closer.add_argument("id")
    closer.add_argument("--wait", action="store_true", help="wait for the grace and tally")
    closer.set_defaults(run=close)
    shower = commands.add_parser("results", help="the results (final, or provisional while open)")
    shower.add_argument("id")
    shower.add_argument("--csv", action="store_true", help="CSV for Excel (UTF-8 with BOM) on stdout")
    shower.add_argument("--json", action="store_true", help="the API's JSON")
    shower.add_argument("--semicolon", action="store_true",
                        help="with --csv: ';' between cells and decimal commas (Excel in a Russian or Kazakh locale)")
    shower.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE)
    shower.set_defaults(run=results)
    exporter = commands.add_parser("evidence", help="write the sealed evidence (one counted vote a line) to FILE")
    exporter.add_argument("id")
    exporter.add_argument("file")
    exporter.add_argument("--open", action="store_true",
                          help="open it with the commission's key: the CMS in the clear, for the commission's tools")
    exporter.set_defaults(run=evidence)
    auditor = commands.add_parser("audit", help="open, re-verify and recount a sealed evidence file offline")
    auditor.add_argument("file")
    auditor.add_argument("--results", metavar="RESULTS.json", help="the published results to compare with")
    auditor.add_argument("--workers", type=int, default=0,
                         help="records opened at once (default 16 with KMS, 1 with a key file)")
    auditor.add_argument("--clock-tolerance", type=float, default=120.0, metavar="MINUTES",
                         help="how far a signer's signingTime may be from the stored cast_at (default 120)")
    auditor.set_defaults(run=audit)
    keys = commands.add_parser("evidence-key", help="make the commission's key pair, or show a KMS key's public key")
    where = keys.add_mutually_exclusive_group(required=True)
    where.add_argument("dir", nargs="?", help="folder for a new key pair (never overwritten)")
    where.add_argument("--kms", metavar="KEY", help="a KMS key id, ARN or alias: print its public key")
    keys.add_argument("--no-passphrase", action="store_true", help="leave the private key unencrypted (development)")
    keys.set_defaults(run=evidence_key)
    refresher = commands.add_parser("refresh-crls", help="download and verify the CRLs and write each CA's "
                                                         "revocation index (what the schedule does)")
    refresher.add_argument("--check", action="store_true", help="download and verify only; write nothing")
    refresher.set_defaults(run=refresh_crls)
    sources = commands.add_parser("crl-urls", help="the CRL URLs (base and delta) certificates name")
    sources.add_argument("certificates", nargs="+", metavar="CERTIFICATE")
    sources.set_defaults(run=crl_urls)
    pki = commands.add_parser("dev-pki", help="write a development CA and voter keys (never for production)")
    pki.add_argument("dir")
    pki.set_defaults(run=dev_pki)
    commands.add_parser("serve", help="run the local stack (dynalite, API, NCALayer stand-in)").set_defaults(
        run=serve)
    args = parser.parse_args(argv)
    try:
        args.target = Target.resolve(args.stage, args.endpoint, os.environ)
    except UnknownStage as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
