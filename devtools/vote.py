"""Cast one vote against a running stack through the NCALayer stand-in, as the page would.

    python -m devtools.vote [--api http://127.0.0.1:8000] [--contest ID] [--nominee ID] [--iin IIN]
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import urllib.error
import urllib.request
from typing import Any

from chalicelib.verify.certificate import EKU_INDIVIDUAL, EKU_SIGN
from chalicelib.voting.ballot import ballot_bytes


def http(method: str, url: str, body: object = None, token: str | None = None) -> tuple[int, Any]:
    """(status, body) of one request as the page or the eGov mobile app sends it (`token`: a Bearer
    token); the body JSON-decoded, {} when empty, the text when it is not JSON (a proxy's page)."""
    headers = {"Accept": "application/json", "Accept-Language": "ru"}
    data = None
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json; charset=utf-8"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - http(s) URLs we were given
            return response.status, _decoded(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _decoded(error.read())


def _decoded(data: bytes) -> Any:
    try:
        return json.loads(data) if data else {}
    except ValueError:
        return data.decode("utf-8", "replace")


def sign(content: bytes, ncalayer: str, iin: str | None) -> str:
    """Ask NCALayer (or the stand-in) for an attached CMS over `content`."""
    from websockets.sync.client import connect

    with connect(ncalayer) as socket:
        socket.recv()  # the greeting with NCALayer's version
        signer_params: dict[str, object] = {"extKeyUsageOids": [EKU_SIGN, EKU_INDIVIDUAL]}
        if iin:
            signer_params["iin"] = iin
        socket.send(json.dumps({
            "module": "kz.gov.pki.knca.basics", "method": "sign",
            "args": {"allowedStorages": ["PKCS12"], "format": "cms", "data": base64.b64encode(content).decode(),
                     "signingParams": {"decode": True, "encapsulate": True, "digested": False},
                     "signerParams": signer_params, "locale": "ru"},
        }))
        reply = json.loads(socket.recv())
    if not reply.get("status"):
        raise RuntimeError(f"NCALayer refused: {reply}")
    return reply["body"]["result"][0]


def cast(api: str, contest: str | None, nominee: str | None, iin: str | None,
         ncalayer: str = "ws://127.0.0.1:13579") -> tuple[int, dict]:
    if contest is None:
        contest = http("GET", f"{api}/contests")[1]["contests"][0]["id"]
    details = http("GET", f"{api}/contests/{contest}")[1]
    nominee = nominee or details["nominations"][0]["nominees"][0]["id"]
    status, issued = http("POST", f"{api}/contests/{contest}/challenges")
    if status != 201 or "challenge" not in issued:  # e.g. 403 voting_closed: the service's own answer
        return status, issued
    cms = sign(ballot_bytes(contest, nominee, issued["challenge"]), ncalayer, iin)
    return http("POST", f"{api}/contests/{contest}/votes", {"cms": cms})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    parser.add_argument("--ncalayer", default="ws://127.0.0.1:13579")
    parser.add_argument("--contest")
    parser.add_argument("--nominee")
    parser.add_argument("--iin", help="vote as this person (default: a fresh one)")
    args = parser.parse_args()
    status, answer = cast(args.api, args.contest, args.nominee, args.iin, args.ncalayer)
    print(status, json.dumps(answer, ensure_ascii=False))
    return 0 if status in (200, 201) else 1


if __name__ == "__main__":
    sys.exit(main())
