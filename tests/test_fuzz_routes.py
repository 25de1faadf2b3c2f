"""The hostile-input sweep: every route of the service, read from `adapters/openapi.json` (so a
new route is swept as soon as it is described; `tests/adapters/test_openapi.py` fails while the app
has a route the description lacks), gets generated hostile path parameters, query strings, headers
and bodies. Whatever it is sent, each
answer is below 500 (no 503 either: on the store in memory every check can be made), carries the
security headers and no traceback, and a refusal is the contract's: a JSON body whose `error` is
a code of the catalogue, with the catalogue's status, listed for that status by the route's
description; and nothing is stored for it. `make fuzz` runs each route with more examples."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import timedelta
from urllib.parse import quote

import pytest
from chalice.local import RouteMatcher
from hypothesis import given, settings
from hypothesis import strategies as st

import app as application
from chalicelib import runtime
from chalicelib.adapters.pages import ASSETS
from chalicelib.voting.admin_session import actor_of, issue_token
from chalicelib.voting.rejection import CODES, status_for
from tests.adapters.test_openapi import listed_codes, operations
from tests.conftest import NOW, make_runtime

CONTEST = "best-social-worker-2025"
ADMIN = "880202400456"
VOTER = "900101300501"
EXAMPLES = int(os.environ.get("VOTING_SWEEP_EXAMPLES", "0")) or (200 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"
                                                                 else 12)
SECURITY_HEADERS = ("X-Content-Type-Options", "Referrer-Policy", "Strict-Transport-Security")
TRACEBACK_MARKS = ("Traceback", 'File "', "InternalServerError", "Exception", "chalicelib/")

ROUTES = sorted((path, method.upper(), operation) for path, method, operation in operations())


# Hostile parts of a request

printable = st.characters(min_codepoint=32, max_codepoint=126)
# A path segment as API Gateway could hand it over: any text but the separators of a URL.
segment_text = st.characters(blacklist_characters="/?#\t\r\n", blacklist_categories=("Cs",))
hostile_segments = st.one_of(
    st.text(segment_text, min_size=1, max_size=40),
    st.text(segment_text, min_size=1000, max_size=6000),
    st.sampled_from(["..", ".", "%2e%2e", "%2F..%2F", "%00", "\x00", "a\x00b", "%ff%fe", "%", "%%41",
                     "' OR '1'='1", "<img src=x onerror=alert(1)>", "{contest_id}", "\u202egnp.exe", "🙂" * 300,
                     "CON", "-1", "0", "1e308", "null", "true", "[]", "{}", " ", "x" * 10000]),
)
huge_numbers = st.sampled_from(["1" * 5000, "-" + "9" * 4400, "1e999999", "-1e999999", "NaN", "Infinity",
                                "0." + "0" * 5000 + "1", "123456789012345678901234567890"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=20,
)
FIELDS = ["cms", "nominee", "purpose", "challenge", "content", "receipt", "contest", "documentsToSign",
          "signMethod", "version", "nominees", "id", "name", "region", "lang"]


def _duplicate_keys(pair: tuple[str, str, str]) -> bytes:
    key, first, second = pair
    return f'{{"{key}": {json.dumps(first)}, "{key}": {json.dumps(second)}}}'.encode()


bodies = st.one_of(
    st.just(b""),
    st.binary(max_size=2000),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4).map(lambda v: json.dumps(v).encode()),
    st.tuples(st.sampled_from(FIELDS), st.text(max_size=20), st.text(max_size=20)).map(_duplicate_keys),
    huge_numbers.map(str.encode),
    huge_numbers.map(lambda n: f'{{"cms": {n}, "nominee": {n}, "purpose": {n}}}'.encode()),
    st.integers(1, 200000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(1, 50000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),
    st.sampled_from([b"x" * 70000, b'{"cms": "' + b"A" * 70000 + b'"}', b"\xff\xfe\x00\x00",
                     "\ufeff{}".encode(), b"{}" + b"\x00", b"nominee;region\nx;y\n", b'"\\ud800"']),
    st.text(max_size=300).map(str.encode),
)
content_types = st.sampled_from([None, "application/json", "text/plain", "application/octet-stream", "text/csv",
                                 "image/png", "text/html", "multipart/form-data; boundary=x", "*/*", "",
                                 "application/json; charset=latin-1", "application/json, text/html",
                                 "application/x-www-form-urlencoded", "application/xml", "video/mp4"])
garbage_header = st.text(printable, max_size=60) | st.text(printable, min_size=4000, max_size=9000)


@st.composite
def queries(draw: st.DrawFn, names: list[str]) -> str:
    pairs = draw(st.lists(st.tuples(st.sampled_from([*names, "v", "lang", "format", "x", "", "a[]"]),
                                    st.one_of(st.sampled_from(["", "csv", "semicolon", "comma", "kk", "en", "1",
                                                               "-1", "0x10", "٣", "1" * 30, "%00"]),
                                              st.text(max_size=30), st.text(printable, min_size=2000,
                                                                            max_size=5000))),
                          max_size=6))
    return "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in pairs)


@pytest.fixture
def sweep(service):
    """The service with one administrator listed, one vote cast and one eGov mobile session open:
    the real ids and tokens a hostile request may mix with its garbage."""
    listed = make_runtime(service.pki, service.clock, service.store, admin_iins=frozenset({ADMIN}))
    runtime.install(listed)
    wired = replace(service, runtime=listed)
    voted = wired.post_vote(wired.vote_body(wired.pki.voter(VOTER)))
    assert voted.status_code == 201, voted.body
    started = wired.http.post(f"/contests/{CONTEST}/mobile-signatures", body=json.dumps({"nominee": "hc-001"}),
                              headers={"Content-Type": "application/json"})
    assert started.status_code == 201, started.body
    session = json.loads(started.body)["id"]
    described = wired.http.get(f"/egov/{session}")
    egov_token = json.loads(described.body)["document"]["auth_token"]
    keys = listed.keys
    admin_token = issue_token(keys, actor_of(keys, ADMIN), NOW).token
    known = {
        "contest_id": [CONTEST, "unknown-contest"],
        "session_id": [session, "0" * 32],
        "receipt": [json.loads(voted.body)["receipt"], "R" * 20],
        "name": sorted(ASSETS),
    }
    tokens = [admin_token, egov_token, admin_token[:-2] + ("AA" if not admin_token.endswith("AA") else "BB"),
              issue_token(keys, actor_of(keys, ADMIN), NOW - timedelta(hours=1)).token,
              issue_token(keys, actor_of(keys, "900101300999"), NOW).token]
    return wired, known, tokens


@st.composite
def hostile_requests(draw: st.DrawFn, path: str, operation: dict, known: dict, tokens: list[str]):
    parameters = operation.get("parameters", [])
    url = path
    for parameter in (p for p in parameters if p["in"] == "path"):
        value = draw(st.sampled_from(known[parameter["name"]]) | hostile_segments)
        url = url.replace("{" + parameter["name"] + "}", value)
    query = draw(queries([p["name"] for p in parameters if p["in"] == "query"]))
    headers: dict[str, str] = {}
    content_type = draw(content_types)
    if content_type is not None:
        headers["Content-Type"] = content_type
    authorization = draw(st.one_of(st.none(), st.sampled_from(tokens).map(lambda t: f"Bearer {t}"),
                                   garbage_header, garbage_header.map(lambda g: f"Bearer {g}"),
                                   st.just("Bearer " + "A" * 20000), st.just("Basic YWRtaW46YWRtaW4=")))
    if authorization is not None:
        headers["Authorization"] = authorization
    for name in ("Origin", "Accept-Language", "If-None-Match", "Accept", "X-Forwarded-For"):
        if draw(st.booleans()):
            headers[name] = draw(garbage_header | st.sampled_from(["null", "https://evil.example", "*/*",
                                                                   "image/png", "kk;q=abc, ru;q=-1"]))
    body = draw(bodies)
    return url + (f"?{query}" if query else ""), headers, body


def stored(store) -> tuple:
    """Everything the store in memory holds."""
    return (dict(store._contests), dict(store._votes), dict(store._receipts), dict(store._sessions),
            dict(store._spent))


def unrouted(url: str) -> bool:
    """Whether the local gateway finds no route for this URL (it answers before the app)."""
    try:
        RouteMatcher(list(application.app.routes)).match_route(url)
    except ValueError:
        return True
    return False


def check_answer(path: str, url: str, method: str, operation: dict, response, before: tuple,
                 after: tuple) -> None:
    status = response.status_code
    text = response.body.decode("utf-8", "replace") if isinstance(response.body, bytes) else str(response.body)
    where = f"{method} {path}: {status} {text[:300]}"
    assert status < 500, where
    # The local gateway's own answer: no route for the path as it parses it (`/egov/;` is `/egov`
    # with a `;params` part), or the authorizer's Deny on a secured route. In AWS, API Gateway's,
    # which the package gives the contract's body (devtools/package.py gateway_responses).
    if "x-amzn-ErrorType" in response.headers:
        assert status in (401, 403) and ("security" in operation or unrouted(url)), where
        return
    assert str(status) in operation["responses"] or status == 304, where
    headers = {name.lower() for name in response.headers}
    assert all(name.lower() in headers for name in SECURITY_HEADERS), (where, response.headers)
    assert not any(mark in text for mark in TRACEBACK_MARKS), where
    if status < 400:
        return
    answer = json.loads(text)
    code = answer["error"]
    assert code in CODES and status_for(code) == status, where
    assert code in listed_codes(operation["responses"][str(status)]), where
    assert after == before, f"{where}: stored something for a refusal"


def test_every_path_parameter_of_every_route_has_real_values_to_mix_in(sweep):
    _, known, _ = sweep
    named = {p["name"] for _, _, operation in ROUTES for p in operation.get("parameters", []) if p["in"] == "path"}
    assert named <= set(known)


@pytest.mark.parametrize(("path", "method", "operation"), ROUTES, ids=[f"{m} {p}" for p, m, _ in ROUTES])
def test_hostile_requests_get_a_contract_answer_and_store_nothing_when_refused(sweep, path, method, operation):
    service, known, tokens = sweep

    @settings(max_examples=EXAMPLES)
    @given(request=hostile_requests(path, operation, known, tokens))
    def one(request):
        url, headers, body = request
        before = stored(service.store)
        response = service.http.request(method, url, headers=headers, body=body)
        check_answer(path, url, method, operation, response, before, stored(service.store))

    one()


@pytest.mark.parametrize("url", ["/egov/;", "/receipts/;x"])
def test_a_path_the_local_gateway_cannot_route_gets_the_gateways_answer_and_stores_nothing(sweep, url):
    service, _, _ = sweep
    before = stored(service.store)
    response = service.http.request("GET", url)
    assert unrouted(url)
    assert response.status_code == 403 and response.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    assert stored(service.store) == before

