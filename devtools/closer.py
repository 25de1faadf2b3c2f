"""The closer's schedule on the local stack: what EventBridge does every minute in AWS.

    python -m devtools.closer [--every 60]
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
    parser.add_argument("--every", type=float, default=60.0, help="seconds between runs")
    args = parser.parse_args()

    # The very function AWS schedules, with this process's settings; it logs each outcome.
    from chalicelib.routes.schedules import close_contests
    from chalicelib.voting.records import StorageUnavailable

    with contextlib.suppress(KeyboardInterrupt):
        while True:
            try:
                close_contests(scheduled_event(), None)
            except StorageUnavailable as error:
                print(json.dumps({"event": "closer", "error": str(error)}), flush=True)
            time.sleep(args.every)


if __name__ == "__main__":
    main()
