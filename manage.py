"""Operator CLI: `python manage.py COMMAND ...` with the service's own configuration.

Commands: create-tables, load-contest FILE [--nominees CSV], close ID [--wait], results ID [--csv|--json],
evidence ID FILE, audit FILE [--results JSON], dev-pki DIR, serve.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from chalicelib.runtime import Runtime
from chalicelib.settings import ConfigurationError, Settings
from chalicelib.voting.contest import ContestError, parse_contest
from chalicelib.voting.records import STATE_TALLIED, ConcurrentUpdate, StorageUnavailable
from chalicelib.voting.rejection import Rejection

REFUSALS = (Rejection, StorageUnavailable, ConcurrentUpdate, ConfigurationError)


def _runtime() -> Runtime:
    return Runtime(Settings.from_environment())


def _refused(error: Exception) -> int:
    if isinstance(error, ConfigurationError):
        print(f"error: {error}", file=sys.stderr)
        return 2
    if isinstance(error, Rejection):
        print(f"error: {error.code}: {error.message('en')} {error.detail}".rstrip(), file=sys.stderr)
        return 2
    print(f"error: storage unavailable ({error}); try again", file=sys.stderr)
    return 3


def create_tables(_: argparse.Namespace) -> int:
    from chalicelib.adapters.dynamodb import DynamoStore

    try:
        store = _runtime().store
        assert isinstance(store, DynamoStore)
        created = store.create_tables()
    except REFUSALS as error:
        return _refused(error)
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
        outcome, _ = _runtime().commission.save_contest(contest)
    except ContestError as error:
        print(f"error: {path}: {error} (nothing was changed)", file=sys.stderr)
        return 2
    except ConfigurationError as error:
        return _refused(error)
    except ConcurrentUpdate:
        print("error: the contest was changed by someone else meanwhile; run again", file=sys.stderr)
        return 3
    except StorageUnavailable as error:
        print(f"error: storage unavailable ({error}); nothing was changed", file=sys.stderr)
        return 3
    print(f"{outcome}: {contest.id} ({sum(len(n.nominees) for n in contest.nominations)} nominees, "
          f"{len(contest.nominations)} nominations)")
    return 0


def close(args: argparse.Namespace) -> int:
    """End voting now (if still open) and tally once the grace has passed (--wait: wait for it)."""
    from chalicelib.voting.closing import describe

    try:
        closer = _runtime().closer
        stored = closer.close_early(args.id)
        while stored.state != STATE_TALLIED:
            due = closer.tally_due_at(stored)
            now = closer.clock()
            if now >= due:
                closer.finish(stored)
            elif args.wait:
                print(f"{args.id}: closed; waiting {int((due - now).total_seconds()) + 1} s for the grace to pass",
                      file=sys.stderr)
                time.sleep(min((due - now).total_seconds() + 0.5, 60))
            else:
                break
            stored = closer.store.get_contest(args.id) or stored
    except REFUSALS as error:
        return _refused(error)
    print(describe(stored, closer))
    return 0


def results(args: argparse.Namespace) -> int:
    from chalicelib.voting.results import results_document

    try:
        commission = _runtime().commission
        if args.csv:
            _, data = commission.admin_results_csv(args.id, args.lang)
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return 0
        stored, result, status = commission.admin_result(args.id)
    except REFUSALS as error:
        return _refused(error)
    document = results_document(stored.contest, result, status)
    if args.json:
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return 0
    print(f"{document['contest']} — {status}, {document['total']} votes, voting ended {document['closes_at']}, "
          f"counted {document['tallied_at']}")
    print(f"digest (SHA-256 of sorted 'receipt,nominee' lines): {document['digest']}")
    for nomination in document["nominations"]:
        print(f"\n{nomination['title'].get(args.lang) or nomination['title']['ru']} ({nomination['total']} votes)")
        for nominee in nomination["nominees"]:
            print(f"  {nominee['votes']:>8}  {nominee['id']:<12} {nominee['name']}")
    return 0


def evidence(args: argparse.Namespace) -> int:
    count = 0
    try:
        commission = _runtime().commission
        with open(args.file, "w", encoding="utf-8", newline="") as out:
            for line in commission.evidence_lines(args.id):
                out.write(line)
                count += 1
    except REFUSALS as error:
        return _refused(error)
    print(f"{count} counted votes written to {args.file}")
    return 0


def audit(args: argparse.Namespace) -> int:
    """Re-verify and recount an evidence file offline; non-zero exit on any problem."""
    from chalicelib.voting.audit import audit as run_audit

    path = Path(args.file)
    try:
        verifier = _runtime().verifier
        published = json.loads(Path(args.results).read_text(encoding="utf-8-sig")) if args.results else None
        total = sum(1 for _ in path.open(encoding="utf-8"))
    except (OSError, ValueError, ConfigurationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    bar = _ProgressBar(total)
    with path.open(encoding="utf-8") as lines:
        report = run_audit(lines, verifier, published, bar.update)
    bar.done()
    print(report.render())
    return 0 if report.ok else 1


class _ProgressBar:
    def __init__(self, total: int, width: int = 40) -> None:
        self.total, self.width, self.shown = max(total, 1), width, -1

    def update(self, done: int) -> None:
        percent = done * 100 // self.total
        if percent != self.shown:
            self.shown = percent
            filled = self.width * done // self.total
            print(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {percent:3d}% {done}/{self.total}",
                  end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        print(file=sys.stderr)


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
    shower.add_argument("--lang", choices=("kk", "ru", "en"), default="ru")
    shower.set_defaults(run=results)
    exporter = commands.add_parser("evidence", help="write the evidence (one counted vote a line) to FILE")
    exporter.add_argument("id")
    exporter.add_argument("file")
    exporter.set_defaults(run=evidence)
    auditor = commands.add_parser("audit", help="re-verify and recount an evidence file offline")
    auditor.add_argument("file")
    auditor.add_argument("--results", metavar="RESULTS.json", help="the published results to compare with")
    auditor.set_defaults(run=audit)
    pki = commands.add_parser("dev-pki", help="write a development CA and voter keys (never for production)")
    pki.add_argument("dir")
    pki.set_defaults(run=dev_pki)
    commands.add_parser("serve", help="run the local stack (dynalite, API, NCALayer stand-in)").set_defaults(
        run=serve)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
