"""The eGov mobile protocol's shapes: the QR text and same-device link of a session, API 1 and
API 2 as the app reads them, the bearer token and the signed document of the PUT."""

import base64
import json
from datetime import timedelta

import pytest

from chalicelib.voting import egov_mobile
from chalicelib.voting.egov_mobile import DocumentToSign, Endpoints, Named, Organisation
from chalicelib.voting.rejection import Rejection
from tests.conftest import NOW

ENDPOINTS = Endpoints("https://abc.execute-api.eu-central-1.amazonaws.com/api", "Sun4z90Vf3clm_v-3t8m1w")
ORGANISATION = Organisation("Министерство", "Министрлік", "Ministry", "123456789012")


def test_api1_is_under_the_public_address_and_api2_under_it():
    assert ENDPOINTS.api1 == "https://abc.execute-api.eu-central-1.amazonaws.com/api/egov/Sun4z90Vf3clm_v-3t8m1w"
    assert ENDPOINTS.document == ENDPOINTS.api1 + "/document"


def test_the_qr_text_is_mobilesign_and_api1():
    assert ENDPOINTS.qr_text == "mobileSign:" + ENDPOINTS.api1


def test_the_same_device_link_carries_api1_url_encoded_and_the_apps_store_ids():
    assert ENDPOINTS.same_device_link == (
        "https://mgovsign.page.link/?link=https%3A%2F%2Fabc.execute-api.eu-central-1.amazonaws.com%2Fapi%2Fegov"
        "%2FSun4z90Vf3clm_v-3t8m1w&isi=1476128386&ibi=kz.egov.mobile&apn=kz.mobile.mgov")


def test_api1_names_the_organisation_the_expiry_and_the_document_with_its_token():
    answer = egov_mobile.api1("Ваш голос", NOW + timedelta(minutes=10), ORGANISATION, ENDPOINTS, "tok")
    assert answer == {
        "description": "Ваш голос",
        "expiry_date": "2026-03-10T09:10:00+00:00",
        "organisation": {"nameRu": "Министерство", "nameKz": "Министрлік", "nameEn": "Ministry", "bin": "123456789012"},
        "document": {"uri": ENDPOINTS.document, "auth_type": "Token", "auth_token": "tok"},
    }


def test_api2_holds_one_cms_with_data_document():
    answer = egov_mobile.api2(DocumentToSign(Named("kk", "ru", "en"), [("Конкурс", "Лучший")], b'{"v": 1}'))
    assert answer == {"signMethod": "CMS_WITH_DATA", "version": 1, "documentsToSign": [{
        "id": 1, "nameRu": "ru", "nameKz": "kk", "nameEn": "en", "meta": [{"name": "Конкурс", "value": "Лучший"}],
        "document": {"file": {"mime": "", "data": base64.b64encode(b'{"v": 1}').decode()}}}]}


@pytest.mark.parametrize(("header", "token"), [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("BEARER abc", "abc"),
                                               (None, None), ("", None), ("Basic abc", None), ("Bearer", None),
                                               ("abc", None), ("Bearer " + "a" * 300, None)])
def test_the_bearer_token_is_read_from_the_authorization_header(header, token):
    assert egov_mobile.bearer_token(header) == token


def signed_put(data: object, **item: object) -> bytes:
    document = {"id": 1, "nameRu": "ru", "document": {"file": {"mime": "", "data": data}}, **item}
    return json.dumps({"signMethod": "CMS_WITH_DATA", "version": 1, "documentsToSign": [document]}).encode()


def test_the_put_brings_the_cms_in_the_documents_data():
    assert egov_mobile.read_signed_document(signed_put(base64.b64encode(b"\x30\x03\x02\x01\x01").decode())) == \
        b"\x30\x03\x02\x01\x01"


def test_the_documents_id_may_come_back_as_text():
    assert egov_mobile.read_signed_document(signed_put("MAA=", id="1")) == b"\x30\x00"


def test_base64_with_line_breaks_is_read():
    assert egov_mobile.read_signed_document(signed_put("MA\nA=")) == b"\x30\x00"


@pytest.mark.parametrize("body", [b"[]", b"{}", b'{"documentsToSign": {}}', b'{"documentsToSign": [1, 2]}',
                                  signed_put("MAA=", id=2), signed_put(None), signed_put(""), signed_put("@@"),
                                  b'{"documentsToSign": [{"id": 1, "document": "MAA="}]}'])
def test_anything_else_is_malformed(body):
    with pytest.raises(Rejection) as caught:
        egov_mobile.read_signed_document(body)
    assert caught.value.code == "malformed_request"


def test_a_put_over_64_kib_is_too_large():
    with pytest.raises(Rejection) as caught:
        egov_mobile.read_signed_document(signed_put("A" * 70000))
    assert caught.value.code == "payload_too_large"
