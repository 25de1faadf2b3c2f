"""The OpenAPI 3 description at /openapi.json: a valid document, every route of the app and no
other, and every refusal it lists is the catalogue's, with the catalogue's status."""

from __future__ import annotations

import base64
import json

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

import app as application
from chalicelib.adapters.openapi import document
from chalicelib.voting.rejection import CODES, status_for

METHODS = {"get", "put", "post", "delete", "patch"}


def operations():
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def listed_codes(response: dict) -> set[str]:
    """The refusal codes a response names: `error.enum` in its schema, however nested."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            error = node.get("properties", {}).get("error") if isinstance(node.get("properties"), dict) else None
            if isinstance(error, dict) and "enum" in error:
                found.update(error["enum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(response.get("content", {}))
    return found


def test_the_document_is_valid_openapi_3():
    validate(document())
    assert document()["openapi"].startswith("3.")


def test_it_describes_every_route_of_the_app_and_no_other():
    described = {(path, method.upper()) for path, method, _ in operations()}
    routed = {(path, method) for path, entries in application.app.routes.items() for method in entries}
    assert described == routed


@pytest.mark.parametrize(("path", "method", "operation"), list(operations()), ids=lambda v: str(v)[:40])
def test_every_refusal_it_lists_is_the_catalogues_with_its_status(path, method, operation):
    for status, response in operation["responses"].items():
        codes = listed_codes(response)
        assert codes <= CODES, f"{method} {path} {status}: {codes - CODES}"
        assert all(status_for(code) == int(status) for code in codes), f"{method} {path} {status}"


def test_every_code_of_the_catalogue_is_listed_by_some_route():
    listed = set().union(*(listed_codes(r) for _, _, o in operations() for r in o["responses"].values()))
    assert listed == CODES


def test_the_error_codes_are_filled_in_from_the_catalogue():
    code = document()["components"]["schemas"]["ErrorCode"]
    assert code["enum"] == sorted(CODES)
    assert "- `already_voted` (409): Everyone has one vote in this contest" in code["description"]


def test_the_document_is_served_at_openapi_json(service):
    response = service.http.get("/openapi.json")
    assert (response.status_code, json.loads(response.body)) == (200, document())
    assert response.headers["Cache-Control"] == "public, max-age=3600"


def conforms(body: object, schema: str) -> None:
    OAS30Validator({"$ref": f"#/components/schemas/{schema}", "components": document()["components"]}).validate(body)


def test_the_apps_answers_have_the_shapes_it_describes(service):
    conforms(json.loads(service.http.get("/contests").body), "ContestList")
    conforms(json.loads(service.http.get("/contests/best-social-worker-2025").body), "ContestDetails")
    conforms(json.loads(service.http.post("/contests/best-social-worker-2025/challenges").body), "Challenge")
    vote = service.post_vote(service.vote_body(service.pki.voter("900101300777")))
    conforms(json.loads(vote.body), "Vote")
    conforms(json.loads(service.http.get(f"/receipts/{json.loads(vote.body)['receipt']}").body), "Receipt")
    conforms(json.loads(service.http.get("/health").body), "Health")
    conforms(json.loads(service.http.get("/contests/nope").body), "Error")
    started = service.http.post("/contests/best-social-worker-2025/mobile-signatures",
                                body=json.dumps({"nominee": "hc-001"}), headers={"Content-Type": "application/json"})
    conforms(json.loads(started.body), "MobileSession")
    session = json.loads(started.body)["id"]
    conforms(json.loads(service.http.get(f"/contests/best-social-worker-2025/mobile-signatures/{session}").body),
             "MobilePoll")
    conforms(json.loads(service.http.get(f"/egov/{session}").body), "EgovApi1")


def test_the_answers_of_a_contest_that_says_who_runs_it_have_the_shapes_it_describes(service):
    from chalicelib.voting.contest import parse_contest
    from devtools.demo import demo_contest
    from tests.conftest import NOW

    service.store.create_contest(parse_contest(demo_contest(NOW)), NOW)
    contest_id = next(c["id"] for c in json.loads(service.http.get("/contests").body)["contests"]
                      if c["id"] != "best-social-worker-2025")
    details = json.loads(service.http.get(f"/contests/{contest_id}").body)
    assert isinstance(details["nominations"][0]["nominees"][0]["region"], dict) and details["organiser"]
    conforms(details, "ContestDetails")


def test_a_recovered_receipt_has_the_shape_it_describes(service):
    from chalicelib.voting.ballot import receipt_request_bytes

    voter = service.pki.voter("900101300778")
    service.post_vote(service.vote_body(voter))
    issued = json.loads(service.http.post("/contests/best-social-worker-2025/challenges",
                                          body=json.dumps({"purpose": "receipt-request"}),
                                          headers={"Content-Type": "application/json"}).body)
    cms = service.pki.sign(receipt_request_bytes("best-social-worker-2025", issued["challenge"]), voter)
    recovered = service.http.post("/contests/best-social-worker-2025/receipt-requests",
                                  body=json.dumps({"cms": base64.b64encode(cms).decode()}),
                                  headers={"Content-Type": "application/json"})
    assert recovered.status_code == 200
    conforms(json.loads(recovered.body), "RecoveredReceipt")


def test_the_commissions_results_and_preview_have_the_shapes_it_describes(service):
    from dataclasses import replace
    from datetime import timedelta

    from chalicelib import runtime
    from chalicelib.voting.contest import parse_contest
    from tests.conftest import NOW, contest_file, make_runtime
    from tests.routes.test_admin import ADMIN, HEADER, call, token_of

    listed = make_runtime(service.pki, service.clock, service.store, admin_iins=frozenset({ADMIN}))
    runtime.install(listed)
    admin = replace(service, runtime=listed)
    service.post_vote(service.vote_body(service.pki.voter("900101300779")))
    service.clock.advance(hours=1)
    results = call(admin, "GET", "/admin/contests/best-social-worker-2025/results", token_of(admin))
    assert results.status_code == 200 and json.loads(results.body)["regions"]
    conforms(json.loads(results.body), "AdminResults")
    service.store.create_contest(parse_contest(contest_file("next-year", opens=NOW + timedelta(days=30),
                                                            closes=NOW + timedelta(days=35))), NOW)
    preview = call(admin, "POST", "/admin/contests/next-year/nominees/preview", token_of(admin),
                   body=HEADER + "home-care;hc-9;Новый Финалист;Шымкент;ЦСО;;;\r\nrehab;rh-9;Ещё Один;Актобе;РЦ;;;\r\n",
                   **{"Content-Type": "text/csv"})
    assert preview.status_code == 200, preview.body
    conforms(json.loads(preview.body), "FinalistsPreview")
