"""The HTTP adapter: the caller's language, the contract's error shape, and the security headers."""

import json

import pytest

from chalicelib.adapters.http import error_response, json_response, preferred_language


@pytest.mark.parametrize(("header", "language"), [
    (None, "ru"), ("", "ru"), ("en-US,en;q=0.9", "en"), ("kk", "kk"), ("de-DE,en;q=0.5,kk;q=0.8", "kk"),
    ("fr", "ru"), ("en;q=0", "ru"), ("en;q=abc, kk", "kk"), ("ru;q=0.1,en;q=0.1", "ru"),
])
def test_language_follows_accept_language(header, language):
    assert preferred_language(header) == language


def test_an_error_answers_the_code_and_its_message_in_the_language():
    response = error_response("contest_not_found", "kk")
    assert (response.status_code, json.loads(response.body)) == (404, {"error": "contest_not_found",
                                                                       "message": "Мұндай байқау жоқ."})


def test_unavailable_tells_when_to_retry():
    assert error_response("unavailable", "ru").headers["Retry-After"] == "2"


def test_json_answers_are_never_cached_nor_sniffed():
    headers = json_response(200, {}).headers
    assert (headers["Cache-Control"], headers["X-Content-Type-Options"], headers["Referrer-Policy"]) == \
        ("no-store", "nosniff", "no-referrer")
