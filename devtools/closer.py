"""The closer's schedule on the local stack: what EventBridge does every minute in AWS.

    python -m devtools.closer [--every 60]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=60.0, help="seconds between runs")
    args = parser.parse_args()

    from chalicelib import commission, logs
    from chalicelib.records import StorageUnavailable

    logs.configure()
    closer = commission.for_closer().closer
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            try:
                for outcome in closer.run():
                    print(json.dumps({"event": "closer", **outcome.to_json()}, ensure_ascii=False), flush=True)
            except StorageUnavailable as error:
                print(json.dumps({"event": "closer", "error": str(error)}), flush=True)
            time.sleep(args.every)


if __name__ == "__main__":
    main()
