"""The eGov mobile signing protocol as integrators publish it, in this service's shapes
(DESIGN.md, "Signing from a phone"):

- the page shows the QR text `mobileSign:<API 1 URL>`, or on the same phone opens the link
  `https://mgovsign.page.link/?link=<API 1 URL, URL-encoded>&isi=1476128386&ibi=kz.egov.mobile&apn=kz.mobile.mgov`;
- API 1 (`GET <API 1 URL>`) says what is asked and by whom, and where the documents are (API 2,
  with a bearer token);
- API 2 (`GET`) gives the documents to sign (`CMS_WITH_DATA`: the app returns an attached CMS),
  and `PUT` brings back the same JSON with each document's `data` replaced by its signature.

Pure: JSON-ready dicts in, bytes and dicts out.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from chalicelib.voting.rejection import Rejection
from chalicelib.voting.signed_body import MAX_BODY_BYTES, decode_base64, json_body

QR_PREFIX = "mobileSign:"
LINK_BASE = "https://mgovsign.page.link/"
# The app's store identifiers, as the published same-device link carries them.
LINK_APP = "isi=1476128386&ibi=kz.egov.mobile&apn=kz.mobile.mgov"
SIGN_METHOD = "CMS_WITH_DATA"
AUTH_TYPE = "Token"
DOCUMENT_ID = 1  # one document: the ballot


@dataclass(frozen=True)
class Organisation:
    """Who asks for the signature, as eGov mobile shows it (`VOTING_ORGANISATION`)."""

    name_ru: str
    name_kz: str
    name_en: str
    bin: str

    def to_json(self) -> dict[str, str]:
        return {"nameRu": self.name_ru, "nameKz": self.name_kz, "nameEn": self.name_en, "bin": self.bin}


@dataclass(frozen=True)
class Endpoints:
    """The absolute URLs of one session, under the API's public address."""

    public_url: str  # https, with the stage prefix, no trailing slash
    session_id: str

    @property
    def api1(self) -> str:
        return f"{self.public_url}/egov/{self.session_id}"

    @property
    def document(self) -> str:
        return f"{self.api1}/document"

    @property
    def qr_text(self) -> str:
        return QR_PREFIX + self.api1

    @property
    def same_device_link(self) -> str:
        return f"{LINK_BASE}?link={quote(self.api1, safe='')}&{LINK_APP}"


@dataclass(frozen=True)
class Named:
    """A text in the three languages of the protocol's names."""

    kk: str
    ru: str
    en: str


@dataclass(frozen=True)
class DocumentToSign:
    name: Named
    meta: Sequence[tuple[str, str]]
    data: bytes


def api1(description: str, expires_at: datetime, organisation: Organisation, endpoints: Endpoints,
         token: str) -> dict[str, object]:
    return {
        "description": description,
        "expiry_date": expires_at.isoformat(timespec="seconds"),
        "organisation": organisation.to_json(),
        "document": {"uri": endpoints.document, "auth_type": AUTH_TYPE, "auth_token": token},
    }


def api2(document: DocumentToSign) -> dict[str, object]:
    return {
        "signMethod": SIGN_METHOD,
        "version": 1,
        "documentsToSign": [{
            "id": DOCUMENT_ID,
            "nameRu": document.name.ru,
            "nameKz": document.name.kk,
            "nameEn": document.name.en,
            "meta": [{"name": name, "value": value} for name, value in document.meta],
            "document": {"file": {"mime": "", "data": base64.b64encode(document.data).decode()}},
        }],
    }


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    if not authorization or len(authorization) > 200:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def read_signed_document(body: bytes) -> bytes:
    """The CMS (DER) that eGov mobile's PUT carries: API 2's JSON with one document whose `data`
    is the base64 attached CMS. `payload_too_large` or `malformed_request` otherwise."""
    document = json_body(body, MAX_BODY_BYTES)
    if not isinstance(document, dict):
        raise Rejection("malformed_request", "body must be API 2's JSON object")
    signed = document.get("documentsToSign")
    if not isinstance(signed, list) or len(signed) != 1 or not isinstance(signed[0], dict):
        raise Rejection("malformed_request", "documentsToSign must hold the one document")
    item = signed[0]
    if item.get("id") not in (DOCUMENT_ID, str(DOCUMENT_ID)):
        raise Rejection("malformed_request", "documentsToSign[0].id is not the ballot's")
    holder = item.get("document")
    file = holder.get("file") if isinstance(holder, dict) else None
    data = file.get("data") if isinstance(file, dict) else None
    return decode_base64(data, "documentsToSign[0].document.file.data")
