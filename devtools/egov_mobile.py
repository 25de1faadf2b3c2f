"""A stand-in for the eGov mobile app, for development and browser tests: it does what the app does
after scanning the page's QR code (or opening its same-device link), over HTTP, with the
development PKI's keys.

    python -m devtools.egov_mobile "<QR text or link>" [--iin IIN] [--key rsa|ecdsa|gost]
                                   [--profile citizen|auth|legal-entity|revoked|expired] [--pki .local/pki]

The protocol (DESIGN.md, "Signing from a phone"): the QR text is `mobileSign:<API 1 URL>`, the link
`https://mgovsign.page.link/?link=<API 1 URL, URL-encoded>&…`. GET API 1 → `{description,
expiry_date, organisation, document: {uri, auth_type: "Token", auth_token}}`; GET `document.uri`
with `Authorization: Bearer <auth_token>` → `{signMethod: "CMS_WITH_DATA", documentsToSign: [...]}`;
each document's `data` is signed as an attached CMS and the same JSON goes back by PUT.

Who signs: a fresh citizen unless `--iin` names one (the same IIN is the same person whatever key);
`--key` RSA, ECDSA P-256 or GOST 34.10-2015/512; `--profile` as in the NCALayer stand-in (an AUTH
key, a legal entity's, the revoked demo voter, an expired certificate).
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from devtools import devpki, vote
from devtools.localpki import PROFILES, LocalPki, load_dev_pki

QR_PREFIX = "mobileSign:"
LINK_HOST = "mgovsign.page.link"
KEYS = {"rsa": "rsa", "ecdsa": "ec256", "gost": "gost"}


class ProtocolError(RuntimeError):
    """The service answered something the app would not accept."""


def api1_url(scanned: str) -> str:
    """API 1's URL from what the phone scanned or opened: the QR text, the same-device link, or the URL."""
    text = scanned.strip()
    if text.startswith(QR_PREFIX):
        text = text[len(QR_PREFIX):]
    parts = urlsplit(text)
    if parts.hostname == LINK_HOST:
        links = parse_qs(parts.query).get("link")
        if not links:
            raise ProtocolError("the same-device link carries no link=")
        text = links[0]
        parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProtocolError(f"not a QR text, a same-device link or an API 1 URL: {scanned[:80]!r}")
    return text


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


def http(method: str, url: str, body: object = None, token: str | None = None) -> Answer:
    return Answer(*vote.http(method, url, body, token))


def signer(pki: LocalPki, iin: str | None, key: str, profile: str) -> Callable[[bytes], bytes]:
    """A function content → attached CMS, as the app signs with the person's key."""
    chain = (pki.nca,)
    if key == "gost":
        person = pki.gost_voter(iin, profile)
        return lambda content: person.sign_cms(content, chain=(pki.nca.der,))
    issued = pki.voter(iin, profile, KEYS[key])
    return lambda content: devpki.sign_cms(content, issued, chain=chain)


def sign_session(scanned: str, sign: Callable[[bytes], bytes], say: Callable[[str], None] = print) -> Answer:
    """The app's whole conversation with the service for one QR code or link."""
    url = api1_url(scanned)
    say(f"API 1: GET {url}")
    api1 = http("GET", url)
    if api1.status != 200:
        raise ProtocolError(f"API 1 answered {api1.status}: {json.dumps(api1.body, ensure_ascii=False)}")
    described = api1.body
    organisation = described["organisation"]
    say(f"  {organisation['nameRu']} (BIN {organisation['bin']}) asks until {described['expiry_date']}:")
    for line in str(described["description"]).splitlines():
        say(f"  {line}")
    document = described["document"]
    if document.get("auth_type") != "Token":
        raise ProtocolError(f"auth_type {document.get('auth_type')!r}: the stand-in speaks Token only")
    say(f"API 2: GET {document['uri']} (Authorization: Bearer …)")
    api2 = http("GET", document["uri"], token=document["auth_token"])
    if api2.status != 200:
        raise ProtocolError(f"API 2 answered {api2.status}: {json.dumps(api2.body, ensure_ascii=False)}")
    if api2.body.get("signMethod") != "CMS_WITH_DATA":
        raise ProtocolError(f"signMethod {api2.body.get('signMethod')!r}: the stand-in signs CMS_WITH_DATA")
    signed = copy.deepcopy(api2.body)
    for item in signed["documentsToSign"]:
        say(f"  document {item['id']}: {item['nameRu']}")
        for meta in item.get("meta", []):
            say(f"    {meta['name']}: {meta['value']}")
        content = base64.b64decode(item["document"]["file"]["data"])
        say(f"    signing {len(content)} bytes: {content.decode('utf-8', 'replace')}")
        item["document"]["file"]["data"] = base64.b64encode(sign(content)).decode()
    say(f"API 2: PUT {document['uri']} (the signed documents)")
    answer = http("PUT", document["uri"], signed, token=document["auth_token"])
    say(f"  {answer.status} {json.dumps(answer.body, ensure_ascii=False)}")
    return answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="eGov mobile stand-in (development keys only)")
    parser.add_argument("scanned", help="the QR code's text (mobileSign:…) or the same-device link")
    parser.add_argument("--iin", help="sign as this person (default: a fresh citizen)")
    parser.add_argument("--key", choices=sorted(KEYS), default="rsa")
    parser.add_argument("--profile", choices=PROFILES, default="citizen")
    parser.add_argument("--pki", default=".local/pki", help="the development PKI (make run writes .local/pki)")
    args = parser.parse_args(argv)
    if args.iin is not None and not (len(args.iin) == 12 and args.iin.isdigit()):
        parser.error("--iin must be 12 digits")
    pki_dir = Path(args.pki)
    if not (pki_dir / "ca" / "nca-key.pem").is_file():
        print(f"error: no development PKI in {pki_dir} (make run writes .local/pki)", file=sys.stderr)
        return 2
    try:
        answer = sign_session(args.scanned, signer(load_dev_pki(pki_dir), args.iin, args.key, args.profile))
    except (ProtocolError, ValueError, KeyError, TypeError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0 if answer.status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
