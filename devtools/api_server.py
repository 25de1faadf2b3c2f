"""Run the Chalice app over HTTP (Chalice's local server) with the VOTING_* settings of this
process's environment: what `manage.py serve` and the integration tests start.

    python -m devtools.api_server --port 8000
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()

    from chalice.cli.factory import CLIFactory
    from chalice.local import create_local_server

    import app

    config = CLIFactory(str(ROOT)).create_config_obj(chalice_stage_name="dev")
    server = create_local_server(app.app, config, args.host, args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
