"""The schedules on the local stack: what EventBridge does in AWS — the closer every minute, the
CRL refresher (the CRL folder into the index folder the API reads) every 15 minutes.

    python -m devtools.closer [--every 60] [--refresh-every 900]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
import uuid
from datetime import UTC, datetime


def scheduled_event() -> dict[str, object]:
    """The event EventBridge hands a scheduled function every minute."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "000000000000", "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "local", "resources": ["arn:aws:events:local:000000000000:rule/close_contests"],
            "detail": {}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=60.0, help="seconds between the closer's runs")
    parser.add_argument("--refresh-every", type=float, default=900.0, help="seconds between CRL refreshes")
    args = parser.parse_args()

    # The very functions AWS schedules, with this process's settings; each logs its outcome.
    from chalicelib.routes.schedules import close_contests, refresh_crls
    from chalicelib.settings import ConfigurationError
    from chalicelib.voting.records import StorageUnavailable

    refreshed_at = time.monotonic()  # the stack refreshed once as it started
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            try:
                close_contests(scheduled_event(), None)
            except StorageUnavailable as error:
                print(json.dumps({"event": "closer", "error": str(error)}), flush=True)
            if time.monotonic() - refreshed_at >= args.refresh_every:
                refreshed_at = time.monotonic()
                try:
                    refresh_crls(scheduled_event(), None)
                except ConfigurationError as error:
                    print(json.dumps({"event": "crl_refresh", "error": str(error)}), flush=True)
            time.sleep(args.every)


if __name__ == "__main__":
    main()
