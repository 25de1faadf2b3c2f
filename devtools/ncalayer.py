"""A stand-in for NCALayer on ws://127.0.0.1:13579, for development and browser tests.

It answers `kz.gov.pki.knca.basics` `sign` like NCALayer does (`format: "cms"`, base64 `data`,
`signingParams.encapsulate` true or false; reply `{"status": true, "body": {"result": ["<CMS>"]}}`)
and signs with development keys: a fresh citizen per request, unless a voter is chosen.

Choosing (what a person would do in NCALayer's key dialog), by a message on any connection:
  {"module": "devtools.standin", "method": "choose",
   "args": {"iin": "900101300123", "profile": "citizen"|"auth"|"legal-entity"|"revoked"|"expired",
            "cancel": false}}
  {"module": "devtools.standin", "method": "reset"}
`signerParams.iin` in a sign request also picks that person, as NCALayer's filter would. Started
with `--admin-iin`, it signs the admin page's sign-in (`"purpose": "admin-login"`) as that person
when nobody was chosen: the development admin of `make run`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from devtools import devpki
from devtools.localpki import PROFILES, LocalPki, load_dev_pki

log = logging.getLogger("devtools.ncalayer")
PORT = 13579
VERSION = "1.4"


@dataclass
class Choice:
    iin: str | None = None
    profile: str = "citizen"
    cancel: bool = False


@dataclass
class StandIn:
    pki: LocalPki
    admin_iin: str | None = None
    choice: Choice = field(default_factory=Choice)
    _people: dict[tuple[str, str], devpki.Issued] = field(default_factory=dict)

    def handle(self, message: str) -> dict:
        try:
            request = json.loads(message)
            module, method = request.get("module"), request.get("method")
            args = request.get("args") or {}
        except (ValueError, AttributeError):
            return _failure("BAD_REQUEST", "request is not a JSON object")
        if module == "devtools.standin":
            return self._control(method, args)
        if module != "kz.gov.pki.knca.basics":
            return _failure("MODULE_NOT_FOUND", f"module {module} is not available")
        if method != "sign":
            return _failure("UNKNOWN_METHOD", f"method {method} is not supported by the stand-in")
        return self._sign(args)

    def _control(self, method: object, args: dict) -> dict:
        if method == "reset":
            self.choice = Choice()
        elif method == "choose":
            if args.get("profile", "citizen") not in PROFILES:
                return _failure("BAD_REQUEST", f"profile must be one of {', '.join(PROFILES)}")
            self.choice = Choice(args.get("iin"), args.get("profile", "citizen"), bool(args.get("cancel")))
        else:
            return _failure("UNKNOWN_METHOD", f"stand-in method {method}")
        return {"status": True, "body": {"result": {"iin": self.choice.iin, "profile": self.choice.profile}}}

    def _sign(self, args: dict) -> dict:
        if self.choice.cancel:
            return {"status": False, "code": "500", "message": "action.canceled"}
        if args.get("format", "cms") != "cms":
            return _failure("UNSUPPORTED_FORMAT", "the stand-in signs CMS only")
        params = args.get("signingParams") or {}
        data = args.get("data")
        items = data if isinstance(data, list) else [data]
        try:
            contents = [base64.b64decode(str(item), validate=True) for item in items if item is not None]
            if len(contents) != len(items):
                raise ValueError("no data")
        except (TypeError, ValueError):
            return _failure("BAD_DATA", "data must be base64")
        signer_filter = (args.get("signerParams") or {}).get("iin") or None
        admin = self.admin_iin if self.admin_iin and any(_is_admin_login(c) for c in contents) else None
        signer = self._signer(signer_filter or self.choice.iin or admin)
        detached = str(params.get("encapsulate", True)).lower() == "false"
        results = [base64.b64encode(devpki.sign_cms(c, signer, detached=detached, chain=(self.pki.nca,))).decode()
                   for c in contents]
        return {"status": True, "body": {"result": results}}

    def _signer(self, iin: str | None) -> devpki.Issued:
        profile = self.choice.profile
        if iin is None:
            return self.pki.voter(None, profile)
        if (iin, profile) not in self._people:  # the same person keeps their certificate
            self._people[(iin, profile)] = self.pki.voter(iin, profile)
        return self._people[(iin, profile)]


def _is_admin_login(content: bytes) -> bool:
    try:
        document = json.loads(content)
    except ValueError:
        return False
    return isinstance(document, dict) and document.get("purpose") == "admin-login"


def _failure(code: str, message: str) -> dict:
    return {"status": False, "code": code, "message": message}


async def serve(pki_dir: Path, host: str = "127.0.0.1", port: int = PORT, ready: asyncio.Event | None = None,
                admin_iin: str | None = None) -> None:
    from websockets.asyncio.server import serve as websocket_serve

    stand_in = StandIn(load_dev_pki(pki_dir), admin_iin)

    async def session(connection) -> None:
        await connection.send(json.dumps({"result": {"version": VERSION}}))
        async for message in connection:
            reply = await asyncio.to_thread(stand_in.handle, message)
            await connection.send(json.dumps(reply))

    async with websocket_serve(session, host, port, max_size=2**20):
        log.info("NCALayer stand-in on ws://%s:%d", host, port)
        if ready is not None:
            ready.set()
        await asyncio.Future()


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="NCALayer stand-in (development keys only)")
    parser.add_argument("--pki", default=".local/pki")
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--admin-iin", help="sign the admin page's sign-in as this person unless one is chosen")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(Path(args.pki), port=args.port, admin_iin=args.admin_iin))


if __name__ == "__main__":
    main()
