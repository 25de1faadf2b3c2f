"""Operator CLI: `python manage.py COMMAND ...` with the service's own configuration.

Commands: create-tables, load-contest FILE, dev-pki DIR, serve.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from chalicelib import storage
from chalicelib.config import StorageLocation
from chalicelib.contest import ContestError, parse_contest


def _connect() -> None:
    location = StorageLocation.from_environment()
    storage.configure(location.table_prefix, location.endpoint, location.region)


def create_tables(_: argparse.Namespace) -> int:
    _connect()
    created = storage.create_tables()
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
    try:
        contest = parse_contest(document)
        _connect()
        outcome, _ = storage.save_contest(contest, datetime.now(UTC))
    except ContestError as error:
        print(f"error: {path}: {error} (nothing was changed)", file=sys.stderr)
        return 2
    except storage.ConcurrentUpdate:
        print("error: the contest was changed by someone else meanwhile; run again", file=sys.stderr)
        return 3
    except storage.StorageUnavailable as error:
        print(f"error: storage unavailable ({error}); nothing was changed", file=sys.stderr)
        return 3
    print(f"{outcome}: {contest.id} ({sum(len(n.nominees) for n in contest.nominations)} nominees, "
          f"{len(contest.nominations)} nominations)")
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
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("create-tables", help="create the DynamoDB tables if missing").set_defaults(run=create_tables)
    loader = commands.add_parser("load-contest", help="create or update a contest from a JSON file")
    loader.add_argument("file")
    loader.set_defaults(run=load_contest)
    pki = commands.add_parser("dev-pki", help="write a development CA and voter keys (never for production)")
    pki.add_argument("dir")
    pki.set_defaults(run=dev_pki)
    commands.add_parser("serve", help="run the local stack (dynalite, API, NCALayer stand-in)").set_defaults(
        run=serve)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
