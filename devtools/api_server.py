"""Run the Chalice app over HTTP (Chalice's local server) with the VOTING_* settings of this
process's environment: what `manage.py serve` and the integration tests start.

    python -m devtools.api_server --port 8000
"""

from __future__ import annotations

import argparse
import contextlib
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# A signing session's id is its QR code: the access log shows where a request went, not which session.
SESSION_IN_PATH = re.compile(r"(/egov/|/mobile-signatures/)[^/?\s\"]+")


def redacted(line: str) -> str:
    return SESSION_IN_PATH.sub(r"\1…", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()

    from chalice.cli.factory import CLIFactory
    from chalice.local import (
        ChaliceRequestHandler,
        CustomLocalChalice,
        LocalChalice,
        LocalDevServer,
        ThreadedHTTPServer,
    )

    import app

    class Server(ThreadedHTTPServer):
        # The default backlog of 5 resets connections under a burst of parallel voters.
        request_queue_size = 256

    class Handler(ChaliceRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            super().log_message("%s", redacted(format % args))

    config = CLIFactory(str(ROOT)).create_config_obj(chalice_stage_name="dev")
    # What chalice.local.create_local_server does, with our server class.
    CustomLocalChalice.__bases__ = (LocalChalice, app.app.__class__)
    app.app.__class__ = CustomLocalChalice
    server = LocalDevServer(app.app, config, args.host, args.port, handler_cls=Handler, server_cls=Server)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
